//! A job of ours stuck `initiated` past `stuck_after` (issue 19): devicepool reuses its device
//! on purpose, so `apply --verify` does not count it as a second job on that device; and it is
//! still a use of the device, so when starts are scarce an idle device goes first.

use crate::liveness::{lab_with_initiated_jobs, started};
use crate::support::{pool_of, queue_of, udid};

#[test]
fn verify_does_not_count_a_stuck_job_against_the_device_it_no_longer_holds() {
    // Device 1's job has waited 90 minutes for it (stuck_after 1h): the apply starts on it.
    let lab = lab_with_initiated_jobs("1h", &[(1, 90)]);
    let out = lab.run(&["apply", lab.config_arg(), "--verify", "--format", "json"]);
    out.expect_code(0);
    assert!(lab.launched_devices().contains(&udid("a55", 1)));
    let verified = out.json()["verified"].as_array().unwrap().clone();
    assert!(verified.is_empty(), "{verified:?}");
    // Nor a note: the stuck job next to this run's job on device 1 holds nothing.
    assert!(out.json().get("verify_notes").is_none(), "{}", out.stdout);
}

#[test]
fn a_device_whose_only_job_is_stuck_goes_after_an_idle_one() {
    // One pending task, three free devices; device 1's only job of ours is stuck.
    let lab = lab_with_initiated_jobs("1h", &[(1, 90)]);
    lab.fleet.taskcluster.set_counts(&queue_of("a55"), 1, 0);
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    assert_eq!(pool_of(&plan, "a55")["numbers"]["stuck"], 1);
    assert_eq!(started(&plan), [udid("a55", 2)]);
}
