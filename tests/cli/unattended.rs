//! Running unattended: systemd's `$STATE_DIRECTORY` as the state dir, secrets read from files
//! (`*_file`, relative to `$CREDENTIALS_DIRECTORY`) and never printed, the load checks that
//! refuse a secret given twice or a file that is not there, and `--version` naming the commit.

use devicepool_sim::SIM_ACCESS_KEY;

use crate::support::{Lab, devicepool, pool, token_env, token_of, tried};

/// A directory standing in for systemd's `$CREDENTIALS_DIRECTORY`, outside the lab so the
/// lab's leak scan does not count the secrets put there on purpose.
fn credentials(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    dir
}

#[test]
fn the_state_directory_systemd_sets_is_used_unless_the_file_names_one() {
    let lab = Lab::new(vec![pool("a55", 1, 0)]);
    let state = tempfile::tempdir().unwrap();
    lab.command(&["apply", lab.config_arg(), "--yes"])
        .env("STATE_DIRECTORY", state.path())
        .run()
        .expect_code(0);
    assert!(
        state.path().join("lock").is_file(),
        "the lock is in $STATE_DIRECTORY"
    );
    assert!(
        !lab.path(".devicepool").exists(),
        "the default state dir beside the plans is not made"
    );

    // A state_dir written in the file wins over the environment.
    let yaml = lab
        .config_yaml()
        .replace("settings:\n", "settings:\n  state_dir: ../mine\n");
    std::fs::write(&lab.config, yaml).unwrap();
    let other = tempfile::tempdir().unwrap();
    lab.command(&["apply", lab.config_arg(), "--yes"])
        .env("STATE_DIRECTORY", other.path())
        .run()
        .expect_code(0);
    assert!(lab.path("mine/lock").is_file());
    assert!(!other.path().join("lock").exists());
}

#[test]
fn secrets_from_files_in_the_credentials_directory_launch_jobs_and_are_never_shown() {
    let mut lab = Lab::new(vec![pool("a55", 2, 2)]);
    // Written as `echo "$KEY" > file` would: with a trailing newline, which is not part of it.
    let creds = credentials(&[
        ("lt-access-key", &format!("{SIM_ACCESS_KEY}\n")),
        ("tc-a55", &format!("{}\n", token_of("a55"))),
    ]);
    lab.set_lambdatest_extra("    access_key_file: lt-access-key\n");
    let yaml = lab.config_yaml().replace(
        &format!("access_token_env: {}", token_env("a55")),
        "access_token_file: tc-a55",
    );
    std::fs::write(&lab.config, yaml).unwrap();

    let out = lab
        .command(&[
            "-vvv",
            "apply",
            lab.config_arg(),
            "--yes",
            "--format",
            "json",
        ])
        .env("DEVICEPOOL_LOG", "trace")
        .env("CREDENTIALS_DIRECTORY", creds.path())
        .env_remove("LT_ACCESS_KEY")
        .env_remove(&token_env("a55"))
        .run();
    // The secret guard has already checked stdout and stderr for both values.
    out.expect_code(0);
    let report = out.json();
    let launches = tried(&report, "device_pool");
    assert_eq!(launches.len(), 2, "{}", out.stdout);
    assert!(launches.iter().all(|l| l["outcome"] == "done"));
    assert_eq!(lab.fleet.lambdatest.launches().len(), 2);
}

#[test]
fn a_secret_given_both_as_variable_and_file_is_refused_with_its_place_before_any_request() {
    let mut lab = Lab::new(vec![pool("a55", 1, 1)]);
    lab.set_lambdatest_extra("    access_key_env: LT_ACCESS_KEY\n    access_key_file: lt-key\n");
    for verb in ["validate", "plan"] {
        let out = lab.run(&[verb, lab.config_arg()]);
        out.expect_code(1);
        // Pointed at the value of the second key, like every other value problem.
        let yaml = lab.config_yaml();
        let (line, text) = (yaml.lines().enumerate())
            .find(|(_, l)| l.contains("access_key_file"))
            .unwrap();
        let (line, column) = (line + 1, text.find("lt-key").unwrap() + 1);
        let expected = format!(
            "devicepool.yaml:{line}:{column}: sources.lambdatest.access_key_file: give access_key_env \
             or access_key_file, not both"
        );
        assert!(out.stderr.contains(&expected), "{}", out.stderr);
    }
    assert!(lab.requests().is_empty(), "no request was sent");
}

#[test]
fn a_missing_secret_file_is_named_with_its_path_before_any_request() {
    let mut lab = Lab::new(vec![pool("a55", 1, 1)]);
    let creds = credentials(&[("empty", "\n")]);
    for (file, why) in [
        ("missing-key", "cannot be read: No such file or directory"),
        ("empty", "is empty"),
    ] {
        lab.set_lambdatest_extra(&format!("    access_key_file: {file}\n"));
        let out = lab
            .command(&["plan", lab.config_arg()])
            .env("CREDENTIALS_DIRECTORY", creds.path())
            .run();
        out.expect_code(1);
        let path = creds.path().join(file);
        let expected = format!(
            "sources.lambdatest.access_key_file: secret file {} {why}",
            path.display()
        );
        assert!(out.stderr.contains(&expected), "{}", out.stderr);
    }
    assert!(lab.requests().is_empty(), "no request was sent");
}

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let out = devicepool(&["--version"]).run();
    out.expect_code(0);
    let line = out.stdout.trim();
    let commit = line
        .strip_prefix(&format!(
            "devicepool {} (commit ",
            env!("CARGO_PKG_VERSION")
        ))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("unexpected --version: {line}"));
    assert!(
        commit == "unknown" || commit.chars().all(|c| c.is_ascii_hexdigit()),
        "{line}"
    );
}
