//! The run lock on a shared engine (`settings.lock`): a real etcd on loopback, and a fake
//! Kubernetes API server for the Lease. Two "hosts" are two desired-state files with their
//! own state directories against one simulated fleet.

mod etcd;
mod etcd_auth;
mod etcd_server;
mod kubernetes;
mod launches;
mod settings;

use std::time::{Duration, Instant};

use crate::kill::active_deploys;
use crate::racks::RackLab;
use crate::support::{Outcome, Running};

/// Writes `<name>.yaml`: the rack lab's desired state with its own state directory and
/// `settings.lock: <lock>`; returns its path.
pub(crate) fn host_config(lab: &RackLab, name: &str, lock: &str) -> String {
    let yaml = lab.yaml(40).replace(
        "  state_dir: state\n",
        &format!("  state_dir: state-{name}\n  lock: {lock}\n"),
    );
    let path = lab.config.with_file_name(format!("{name}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path.to_str().unwrap().to_string()
}

/// Every agent has at most one deploy of ours in flight.
pub(crate) fn assert_no_duplicate(lab: &RackLab) {
    let active = active_deploys(lab);
    assert!(
        active.values().all(|n| *n == 1),
        "an agent got two deploys: {active:?}"
    );
}

/// Applies `a` and `b` at once: exactly one exits 0 and deploys every due machine once, the
/// other exits 5; returns the loser's outcome.
pub(crate) fn race(lab: &RackLab, a: &str, b: &str) -> Outcome {
    let first = lab.command(&["apply", a]).spawn();
    let second = lab.command(&["apply", b]).spawn();
    let (first, second) = (first.wait(), second.wait());
    let mut codes = [first.code, second.code];
    codes.sort();
    assert_eq!(codes, [0, 5], "first:\n{first:?}\nsecond:\n{second:?}");
    assert_no_duplicate(lab);
    assert_eq!(
        lab.submitted_agents().len(),
        32,
        "{:?}",
        lab.submitted_agents()
    );
    if first.code == 5 { first } else { second }
}

/// `lock status` of `config` after a successful run: shows `location`, and the record knows
/// the last mutation and the last success.
pub(crate) fn expect_status_after_success(lab: &RackLab, config: &str, location: &str) {
    let status = lab.run(&["lock", "status", config]);
    status.expect_code(0);
    assert!(status.stdout.contains(location), "{}", status.stdout);
    for absent in ["last successful run: never", "last mutation sent: never"] {
        assert!(!status.stdout.contains(absent), "{}", status.stdout);
    }
}

/// Starts an apply of `config` (JSON report) and returns it once its first deploy arrived.
pub(crate) fn apply_until_first_deploy(lab: &RackLab, config: &str) -> Running {
    let running = lab.command(&["apply", config, "--format", "json"]).spawn();
    let deadline = Instant::now() + Duration::from_secs(30);
    while lab.submitted_agents().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    running
}

/// The apply ended with exit 3, `why` on stderr, some deploys reported not tried because of
/// the lease and not every due machine deployed.
pub(crate) fn expect_stopped_by_lost_lease(lab: &RackLab, out: &Outcome, why: &str) {
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(why), "{}", out.stderr);
    let report = out.json();
    let not_tried: Vec<_> = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["error"]["class"] == "not_tried")
        .collect();
    assert!(!not_tried.is_empty(), "{report}");
    let message = not_tried[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("lease") || message.contains("Lease"),
        "{report}"
    );
    assert!(lab.submitted_agents().len() < 32);
    assert_no_duplicate(lab);
}

/// After a holder of `config`'s lease was killed: the next apply waits for the lease and
/// the killed run's requests, then converges with no duplicate.
pub(crate) fn expect_takeover_converges(lab: &RackLab, config: &str) {
    let next = lab
        .command(&["apply", config, "--wait-lock", "30s"])
        .env("DEVICEPOOL_LOG", "warn")
        .run();
    next.expect_code(0);
    assert!(
        next.stderr
            .contains("an earlier holder of the lease did not finish"),
        "{}",
        next.stderr
    );
    lab.fleet.testflinger.server().clear_faults();
    lab.run(&["apply", config]).expect_code(0);
    lab.run(&["plan", config, "--detailed-exitcode"])
        .expect_code(0);
    assert_no_duplicate(lab);
}
