//! `devicepool completions SHELL` and `devicepool man`: generated from the clap definition, so
//! they name every command the binary has, and no hidden one; the man page names no other
//! page (none is made) but documents each command itself.

use crate::support::devicepool;

/// The commands a user types (`--help` lists them too).
pub(crate) const VERBS: [&str; 11] = [
    "validate",
    "plan",
    "apply",
    "render",
    "schema",
    "show",
    "explain",
    "completions",
    "man",
    "demo",
    "sim",
];

#[test]
fn completions_for_bash_zsh_and_fish_name_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let out = devicepool(&["completions", shell]).run();
        out.expect_code(0);
        assert!(out.stdout.len() > 1000, "{shell}: {}", out.stdout);
        for verb in VERBS {
            assert!(out.stdout.contains(verb), "{shell} completion lacks {verb}");
        }
        // Flags too, down to a subcommand's own.
        for flag in ["--metrics-file", "--exclude-pool", "--detailed-exitcode"] {
            let name = flag.trim_start_matches('-');
            assert!(out.stdout.contains(name), "{shell} completion lacks {flag}");
        }
    }
    let out = devicepool(&["completions", "tcsh"]).run();
    out.expect_code(1);
}

#[test]
fn completions_never_offer_a_hidden_command() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = devicepool(&["completions", shell]).run();
        out.expect_code(0);
        assert!(
            !out.stdout.contains("sim-hyperexecute"),
            "{shell} offers __sim-hyperexecute"
        );
        // Visible subcommands of subcommands stay.
        for nested in ["serve", "status"] {
            assert!(
                out.stdout.contains(nested),
                "{shell} completion lacks {nested}"
            );
        }
    }
}

#[test]
fn man_prints_one_roff_page_documenting_every_command_and_naming_no_other_page() {
    let out = devicepool(&["man"]).run();
    out.expect_code(0);
    assert!(out.stdout.contains(".TH devicepool 1"), "{}", out.stdout);
    for verb in VERBS
        .iter()
        .chain(&["lock", "lock status", "lock break", "sim serve"])
    {
        let section = format!(".SS \"devicepool {verb}\"\n");
        assert!(out.stdout.contains(&section), "man lacks {section}");
    }
    // A command's own options are in its part: `plan --detailed-exitcode` under plan.
    let plan = out.stdout.find(".SS \"devicepool plan\"").unwrap();
    let apply = out.stdout.find(".SS \"devicepool apply\"").unwrap();
    assert!(
        out.stdout[plan..apply].contains("detailed\\-exitcode"),
        "{}",
        out.stdout
    );
    // No `devicepool-plan(1)` and the like: no such page is ever written.
    assert!(!out.stdout.contains("(1)"), "{}", out.stdout);
    assert!(!out.stdout.contains("sim\\-hyperexecute"), "{}", out.stdout);
    assert!(out.stdout.contains("5 another run holds the lock"));
}
