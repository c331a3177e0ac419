//! `devicepool completions SHELL` and `devicepool man`: generated from the clap definition, so
//! they name every command the binary has.

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
fn man_prints_a_roff_page_listing_the_commands() {
    let out = devicepool(&["man"]).run();
    out.expect_code(0);
    assert!(out.stdout.contains(".TH devicepool 1"), "{}", out.stdout);
    assert!(out.stdout.contains(".SH SUBCOMMANDS"), "{}", out.stdout);
    for verb in VERBS {
        let entry = format!("devicepool\\-{verb}(1)");
        assert!(out.stdout.contains(&entry), "man lacks {entry}");
    }
    assert!(out.stdout.contains("5 another run holds the lock"));
}
