//! Names and identifiers that are empty, missing or hold invisible characters (issue 17): an
//! empty pool name made every apply start another job on each of its devices (its label
//! `tcdp,,B-01` never read back as ours). In every section each is refused at file:line:col by
//! `validate` and by `plan` before any request.

use super::{expect_refused, lab_and_config, line_of};

/// The lab's config with a rack, a runner pool and a device group (that `p9` joins), so every
/// section has one entry: (section, entry name, what its name is called in errors).
const SECTIONS: [(&str, &str, &str); 4] = [
    ("device_pools", "a55", "a pool name"),
    ("racks", "rack-a", "a rack name"),
    ("runner_pools", "autogit", "a runner pool name"),
    ("device_groups", "shared", "a group name"),
];

fn every_section(yaml: &str) -> String {
    yaml.replace(
        "device_pools:\n",
        "  maas: {url: http://127.0.0.1:9/MAAS/, api_key_env: MAAS_KEY}\n  testflinger: {url: \
         http://127.0.0.1:9}\n  gitlab: {url: http://127.0.0.1:9, token_env: GL_TOKEN}\nracks:\n  \
         rack-a:\n    maas_tags: [rack-a]\nrunner_pools:\n  autogit:\n    tags: [autogit]\n    \
         projects: [group/app]\ndevice_groups:\n  shared:\n    devices: [G-01]\ndevice_pools:\n",
    )
    .replace("    devices: [P9-01, P9-02]\n", "    group: shared\n")
}

#[test]
fn every_section_has_an_entry_that_validates() {
    let (lab, yaml) = lab_and_config();
    std::fs::write(&lab.config, every_section(&yaml)).unwrap();
    let out = lab.run(&["validate", lab.config_arg()]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("1 rack(s), 1 runner pool(s)"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_empty_name_is_refused_in_every_section() {
    expect_each_name_refused(&["''", "\"\""], |section, what| {
        format!("{section}.\"\": {what} is empty")
    });
}

#[test]
fn a_null_key_for_a_name_is_refused_where_it_sits_in_every_section() {
    // `~:`, `null:` and a bare `:` (the name forgotten) are all a null key in YAML.
    expect_each_name_refused(&["~", "null", ""], |section, _| {
        format!("{section}: a name is missing: this key is null")
    });
}

/// Each section's entry named by each of `keys` in turn is refused at that key (line:3) with
/// `message(section, what its name is called)`.
fn expect_each_name_refused(keys: &[&str], message: impl Fn(&str, &str) -> String) {
    let (lab, yaml) = lab_and_config();
    let good = every_section(&yaml);
    for (section, name, what) in SECTIONS {
        for key in keys {
            let bad = good.replacen(&format!("  {name}:\n"), &format!("  {key}:\n"), 1);
            let line = line_equal_to(&bad, &format!("  {key}:"));
            expect_refused(&lab, &bad, &format!("{line}:3"), &message(section, what));
        }
    }
}

#[test]
fn invisible_characters_are_refused_in_udids_tags_and_names() {
    let (lab, yaml) = lab_and_config();
    let good = every_section(&yaml);
    // A zero-width space, a right-to-left override, a byte-order mark, a soft hyphen, a
    // word joiner and an Arabic letter mark.
    for invisible in [
        '\u{200B}', '\u{202E}', '\u{FEFF}', '\u{AD}', '\u{2060}', '\u{61C}',
    ] {
        let shown = format!("{:?}", invisible.to_string());
        let shown = shown.trim_matches('"');
        let flaw = "holds an invisible character";
        // (file, written, its first part, the rest, where it is)
        let cases = [
            (&yaml, "P9-02]", "P9", "-02]", "device_pools.p9.devices[1]"),
            (
                &good,
                "G-01]",
                "G",
                "-01]",
                "device_groups.shared.devices[0]",
            ),
            (
                &good,
                "[autogit]",
                "[auto",
                "git]",
                "runner_pools.autogit.tags[0]",
            ),
            (
                &good,
                "[rack-a]",
                "[rack",
                "-a]",
                "racks.rack-a.maas_tags[0]",
            ),
        ];
        for (base, written, head, tail, key) in cases {
            let bad = base.replacen(written, &format!("{head}{invisible}{tail}"), 1);
            let value = format!("{}{invisible}", head.trim_start_matches('['));
            let line = line_of(&bad, &value);
            // Columns count characters; everything before the value is ASCII.
            let column = bad.lines().nth(line - 1).unwrap().find(&value).unwrap() + 1;
            let message = format!("{key}: \"{}{shown}", head.trim_start_matches('['));
            expect_refused(&lab, &bad, &format!("{line}:{column}"), &message);
            expect_refused(&lab, &bad, "", flaw);
        }
        let bad = yaml.replacen("  a55:\n", &format!("  a5{invisible}5:\n"), 1);
        let line = line_equal_to(&bad, &format!("  a5{invisible}5:"));
        let message = format!(
            "a pool name may hold only letters, digits, '-', '_' and '.', not \"a5{shown}5\""
        );
        expect_refused(&lab, &bad, &format!("{line}:3"), &message);
    }
}

/// The line number (1-based) of the line of `yaml` that is exactly `text`.
fn line_equal_to(yaml: &str, text: &str) -> usize {
    yaml.lines().position(|l| l == text).expect("the line") + 1
}
