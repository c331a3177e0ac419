//! `apply --verify` on device pools judges this run's promises (issue 19): a device this run
//! started a job on that ends up held by two jobs of ours is broken (exit 6); a device two
//! jobs of earlier runs hold is a note, and the run exits 0.

use crate::liveness::lab_with_initiated_jobs;
use crate::support::{Lab, pool, udid};

#[test]
fn a_device_this_run_started_twice_breaks_the_promise_and_exits_6() {
    // A CLI that starts the job it is asked for twice: the one free device is double-booked.
    let mut lab = Lab::new(vec![pool("a55", 1, 1)]);
    lab.wrap_cli(|cli| format!("{cli} \"$@\" >/dev/null\nexec {cli} \"$@\"\n"));
    let out = lab.run(&["apply", lab.config_arg(), "--verify"]);
    out.expect_code(6);
    assert_eq!(lab.launched_devices(), [udid("a55", 1), udid("a55", 1)]);
    assert!(
        out.stdout.contains("VERIFY: 1 broken promise(s)")
            && out
                .stdout
                .contains("BROKEN a55: device A55-01 has 2 jobs of ours queued or running: ")
            && out.stdout.contains("after this run started one on it"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_device_two_earlier_jobs_hold_is_a_note_and_the_run_exits_0() {
    let lab = lab_with_initiated_jobs("1h", &[]);
    let out = lab.run(&["apply", lab.config_arg(), "--verify", "--format", "json"]);
    out.expect_code(0);
    assert_eq!(
        out.json()["verified"],
        serde_json::json!([]),
        "{}",
        out.stdout
    );
    assert!(out.json().get("verify_notes").is_none(), "{}", out.stdout);

    // Two jobs of earlier runs wait on device 1; this run starts on the other devices only.
    let lab = lab_with_initiated_jobs("1h", &[(1, 5), (1, 3)]);
    let out = lab.run(&["apply", lab.config_arg(), "--verify"]);
    out.expect_code(0);
    assert!(!lab.launched_devices().contains(&udid("a55", 1)));
    assert!(
        out.stdout
            .contains("Verify: the fleet read back keeps every promise")
            && out
                .stdout
                .contains("note   a55: device A55-01 has 2 jobs of ours queued or running: ")
            && out.stdout.contains("none started by this run"),
        "{}",
        out.stdout
    );
    let lab = lab_with_initiated_jobs("1h", &[(1, 5), (1, 3)]);
    let out = lab.run(&["apply", lab.config_arg(), "--verify", "--format", "json"]);
    out.expect_code(0);
    let report = out.json();
    assert_eq!(report["verified"], serde_json::json!([]), "{}", out.stdout);
    let note = report["verify_notes"][0]["note"]
        .as_str()
        .unwrap_or_default();
    assert!(
        note.starts_with("device A55-01 has 2 jobs of ours"),
        "{}",
        out.stdout
    );
}
