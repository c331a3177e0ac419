//! Unit tests of `clients/lambdatest/hyperexecute.rs`.

use super::*;

/// The CLI sees the passed variables and its credentials, nothing else of devicepool's
/// environment (which, under `cargo test`, holds dozens of `CARGO_*` variables).
#[test]
fn the_cli_gets_only_the_passed_variables_and_its_credentials() {
    let dir = tempfile::tempdir().unwrap();
    let cli = dir.path().join("print-env");
    fs::write(&cli, "#!/bin/sh\nenv\n").unwrap();
    fs::set_permissions(&cli, fs::Permissions::from_mode(0o755)).unwrap();
    let env = [("LT_USERNAME", Secret::new("sim-user"))];
    let job = Launch {
        cli: &cli,
        labels: &["tcdp".into()],
        job_file: "version: 0.2\n",
        payload_dir: None,
        work_dir: dir.path(),
        env: &env,
        timeout: Duration::from_secs(30),
        lock: None,
    };
    let out = launch(&job, &Redactor::default());
    assert_eq!(out.exit_code, Some(0), "{out:?}");
    let names: Vec<&str> = out
        .output
        .lines()
        .filter_map(|l| l.split_once('=').map(|(n, _)| n))
        .collect();
    assert!(
        names.contains(&"LT_USERNAME") && names.contains(&"CI"),
        "{names:?}"
    );
    // `sh` itself adds PWD, SHLVL and `_`.
    let unexpected: Vec<&&str> = names
        .iter()
        .filter(|n| !PASSED_ENV.contains(n))
        .filter(|n| !["LT_USERNAME", "CI", "PWD", "SHLVL", "_"].contains(n))
        .collect();
    assert!(unexpected.is_empty(), "leaked into the CLI: {unexpected:?}");
}

#[test]
fn leftover_job_directories_are_removed_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["job-a1", "job-b2/user_script", "keep-me"] {
        fs::create_dir_all(dir.path().join(name)).unwrap();
    }
    fs::write(dir.path().join("job-a1/hyperexecute.yaml"), "token").unwrap();
    assert_eq!(remove_leftover_job_dirs(dir.path()).unwrap(), 2);
    let left: Vec<String> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["keep-me"]);
    assert_eq!(
        remove_leftover_job_dirs(&dir.path().join("missing")).unwrap(),
        0
    );
}

#[test]
fn finds_the_job_id_in_the_link() {
    let out =
        "Job Link: https://hyperexecute.lambdatest.com/hyperexecute/task?jobId=0e05-44a2&link=\n";
    assert_eq!(find_job_id(out).as_deref(), Some("0e05-44a2"));
    assert_eq!(find_job_id("nothing"), None);
}
