//! Schema mistakes a user makes while typing, through `validate`: an unknown key names the
//! closest known key when one is close (and nothing when none is), a bad enum value lists the
//! values allowed. Each at file:line:col, exit 1.

use crate::support::devicepool;

/// What `validate` printed for an edited copy of the shipped LambdaTest example.
struct Checked {
    _dir: tempfile::TempDir,
    path: String,
    yaml: String,
    stderr: String,
}

impl Checked {
    /// `path:line:col` of the first line of the edited file holding `needle`, at `column`.
    fn at(&self, needle: &str, column: usize) -> String {
        let line = self
            .yaml
            .lines()
            .position(|l| l.contains(needle))
            .expect("needle")
            + 1;
        format!("{}:{line}:{column}", self.path)
    }
}

/// The shipped LambdaTest example with `edit` applied, checked by `validate` (exit 1,
/// nothing on stdout).
fn validate_edited_example(edit: impl Fn(&str) -> String) -> Checked {
    let example = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plans/lambdatest-example.yaml"),
    )
    .unwrap();
    let edited = edit(&example);
    assert_ne!(edited, example, "the edit changed nothing");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("devicepool.yaml");
    std::fs::write(&path, &edited).unwrap();
    let out = devicepool(&["validate", path.to_str().unwrap()]).run();
    out.expect_code(1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    Checked {
        _dir: dir,
        path: path.display().to_string(),
        yaml: edited,
        stderr: out.stderr,
    }
}

#[test]
fn an_unknown_key_names_the_closest_known_key_only_when_close() {
    let checked = validate_edited_example(|yaml| {
        yaml.replacen(
            "    group: a55-shared\n",
            "    group: a55-shared\n    prioity: 3\n    colour: red\n",
            1,
        )
        .replacen("\nsettings:\n", "\nsettinsg:\n", 1)
    });
    let stderr = &checked.stderr;
    for expected in [
        format!(
            "{}: device_pools.a55-unit.prioity: unknown key (did you mean `priority`?)\n",
            checked.at("prioity", 5)
        ),
        format!(
            "{}: settinsg: unknown key (did you mean `settings`?)\n",
            checked.at("settinsg", 1)
        ),
        // No guess for a key far from every known one.
        format!(
            "{}: device_pools.a55-unit.colour: unknown key\n",
            checked.at("colour", 5)
        ),
    ] {
        assert!(
            stderr.contains(&expected),
            "want {expected:?} in:\n{stderr}"
        );
    }
}

#[test]
fn a_bad_enum_value_lists_the_allowed_values() {
    let checked = validate_edited_example(|yaml| {
        yaml.replacen("allocation: proportional", "allocation: fair", 1)
    });
    let expected = format!(
        "{}: device_groups.a55-shared.allocation: fair is not allowed; \
         one of: priority, round-robin, proportional, weighted\n",
        checked.at("allocation: fair", 17)
    );
    let stderr = &checked.stderr;
    assert!(
        stderr.contains(&expected),
        "want {expected:?} in:\n{stderr}"
    );
    assert!(!stderr.contains("oneOf"), "{stderr}");
}
