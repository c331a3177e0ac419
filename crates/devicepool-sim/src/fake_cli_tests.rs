//! Unit tests of `fake_cli.rs`.

use super::*;
use crate::{Fault, LambdatestSim, SIM_ACCESS_KEY, SIM_USERNAME};

const YAML: &str = "version: \"0.2\"\nrunson: android\nconcurrency: 1\nframework:\n  name: raw\n  args:\n    fixedIP: R5CX1\n    privateCloud: true\n";

fn setup(yaml: &str) -> (LambdatestSim, tempfile::TempDir, String) {
    let lt = LambdatestSim::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("hyperexecute.yaml");
    std::fs::write(&cfg, yaml).expect("write");
    (lt, dir, cfg.to_string_lossy().into_owned())
}

fn run_in(lt: &LambdatestSim, args: &[&str], creds: bool) -> i32 {
    let url = lt.url();
    let env = move |k: &str| match k {
        URL_ENV => Some(url.clone()),
        "LT_USERNAME" if creds => Some(SIM_USERNAME.to_string()),
        "LT_ACCESS_KEY" if creds => Some(SIM_ACCESS_KEY.to_string()),
        _ => None,
    };
    run_with(args.iter().map(|s| s.to_string()).collect(), &env)
}

#[test]
fn launches_a_job_with_labels() {
    let (lt, _dir, cfg) = setup(YAML);
    let args = [
        "--no-track",
        "--labels=tcdp,a55,R5CX1",
        "-i",
        &cfg,
        "--exclude-external-binaries",
    ];
    assert_eq!(run_in(&lt, &args, true), 0);
    let args = [
        "--no-track",
        "--labels",
        "x",
        "--config",
        &cfg,
        "-u",
        SIM_USERNAME,
        "-k",
        SIM_ACCESS_KEY,
    ];
    assert_eq!(run_in(&lt, &args, false), 0);
    let launches = lt.launches();
    assert_eq!(launches.len(), 2);
    assert_eq!(
        launches[0].labels,
        Some(vec!["tcdp".into(), "a55".into(), "R5CX1".into()])
    );
    assert_eq!(launches[0].fixed_ip.as_deref(), Some("R5CX1"));
    assert_eq!(launches[0].status, "initiated");
}

#[test]
fn rejects_bad_usage_and_config() {
    let (lt, _dir, cfg) = setup(YAML);
    assert_eq!(run_in(&lt, &["--no-track", "-i", &cfg, "--bogus"], true), 2);
    assert_eq!(run_in(&lt, &["-i", &cfg], true), 2, "tracking unsupported");
    assert_eq!(
        run_in(&lt, &["--no-track", "-i", &cfg], false),
        1,
        "no credentials"
    );
    let (lt2, _dir2, cfg2) = setup(&YAML.replace("fixedIP: R5CX1", "fixedIP: \"\""));
    assert_eq!(run_in(&lt2, &["--no-track", "-i", &cfg2], true), 1);
    let (lt3, _dir3, cfg3) = setup(&YAML.replace("concurrency: 1", "concurrency: 2"));
    assert_eq!(
        run_in(&lt3, &["--no-track", "-i", &cfg3], true),
        1,
        "server refuses concurrency 2"
    );
    assert!(lt.launches().is_empty() && lt2.launches().is_empty() && lt3.launches().is_empty());
}

#[test]
fn injected_server_error_fails_the_launch() {
    let (lt, _dir, cfg) = setup(YAML);
    lt.server()
        .inject("POST", "/__sim/launch", Fault::status(500).times(1));
    assert_eq!(run_in(&lt, &["--no-track", "-i", &cfg], true), 1);
    assert_eq!(run_in(&lt, &["--no-track", "-i", &cfg], true), 0);
    assert_eq!(lt.launches().len(), 1);
}
