//! The etcd lease through the binary: two hosts racing, kill -9 of the holder then a
//! takeover after the TTL that waits out the killed run's requests, etcd lost mid-apply,
//! `lock status` and `lock break`.

use std::time::{Duration, Instant};

use devicepool_sim::Fault;

use super::etcd_server::EtcdServer;
use super::host_config;
use crate::kill::{active_deploys, kill_after};
use crate::racks::RackLab;

/// Every agent has at most one deploy of ours in flight.
fn assert_no_duplicate(lab: &RackLab) {
    let active = active_deploys(lab);
    assert!(
        active.values().all(|n| *n == 1),
        "an agent got two deploys: {active:?}"
    );
}

/// A rack lab whose deploys take `delay_ms` each, an etcd, and two hosts locking on it with
/// `ttl`.
fn two_hosts(delay_ms: u64, ttl: &str) -> Option<(EtcdServer, RackLab, String, String)> {
    let etcd = EtcdServer::start()?;
    let lab = RackLab::new();
    lab.fleet
        .testflinger
        .server()
        .inject("POST", "/v1/job", Fault::delay(delay_ms));
    let lock = etcd.lock_yaml(ttl);
    let (a, b) = (host_config(&lab, "a", &lock), host_config(&lab, "b", &lock));
    Some((etcd, lab, a, b))
}

/// Starts an apply of `config` and kills it (SIGKILL) once `ours` of its deploys were
/// received (after the lab's two fixture deploys).
fn kill_holder(lab: &RackLab, config: &str, ours: usize) {
    let tf = lab.fleet.testflinger.server();
    kill_after(
        lab.command(&["apply", config]).spawn(),
        tf,
        "POST",
        "/v1/job",
        2 + ours,
    );
}

#[test]
fn two_hosts_racing_an_apply_one_acts_and_the_other_exits_5_naming_it() {
    let Some((_etcd, lab, a, b)) = two_hosts(100, "5s") else {
        return;
    };
    let first = lab.command(&["apply", &a]).spawn();
    let second = lab.command(&["apply", &b]).spawn();
    let (first, second) = (first.wait(), second.wait());
    let mut codes = [first.code, second.code];
    codes.sort();
    assert_eq!(codes, [0, 5], "first:\n{first:?}\nsecond:\n{second:?}");
    let loser = if first.code == 5 { &first } else { &second };
    assert!(
        loser
            .stderr
            .contains("another devicepool run holds the lock etcd key /devicepool/default/holder")
            && loser.stderr.contains("pid "),
        "{}",
        loser.stderr
    );
    assert_no_duplicate(&lab);
    assert_eq!(
        lab.submitted_agents().len(),
        32,
        "{:?}",
        lab.submitted_agents()
    );
    // The record says when the winner last sent a mutation and that it succeeded.
    let status = lab.run(&["lock", "status", &b]);
    status.expect_code(0);
    assert!(
        status
            .stdout
            .contains("etcd key /devicepool/default/holder at"),
        "{}",
        status.stdout
    );
    assert!(status.stdout.contains(": free\n"), "{}", status.stdout);
    assert!(
        !status.stdout.contains("last successful run: never"),
        "{}",
        status.stdout
    );
    assert!(
        !status.stdout.contains("last mutation sent: never"),
        "{}",
        status.stdout
    );
}

#[test]
fn a_killed_holder_is_taken_over_after_its_ttl_and_its_requests_are_waited_for() {
    let Some((_etcd, lab, a, b)) = two_hosts(700, "3s") else {
        return;
    };
    kill_holder(&lab, &a, 3);
    let killed_at = Instant::now();
    // Straight away: the dead holder's lease is live until its TTL.
    let busy = lab.run(&["apply", &b]);
    busy.expect_code(5);
    assert!(busy.stderr.contains("runs out in"), "{}", busy.stderr);
    let status = lab.run(&["lock", "status", &b]);
    assert!(status.stdout.contains("held by host "), "{}", status.stdout);
    assert!(
        status.stdout.contains("a run did not finish"),
        "{}",
        status.stdout
    );
    // Waiting: taken over once the TTL has passed, then the killed run's last requests
    // (2s timeout) are waited for before the fleet is read.
    let next = lab
        .command(&["apply", &b, "--wait-lock", "30s"])
        .env("DEVICEPOOL_LOG", "warn")
        .run();
    next.expect_code(0);
    assert!(
        killed_at.elapsed() >= Duration::from_secs(3),
        "taken before the TTL"
    );
    assert!(
        next.stderr
            .contains("an earlier holder of the lease did not finish"),
        "{}",
        next.stderr
    );
    lab.fleet.testflinger.server().clear_faults();
    lab.run(&["apply", &b]).expect_code(0);
    lab.run(&["plan", &b, "--detailed-exitcode"]).expect_code(0);
    assert_no_duplicate(&lab);
}

#[test]
fn etcd_lost_mid_apply_stops_every_new_mutation_and_the_run_exits_non_zero() {
    let Some(mut etcd) = EtcdServer::start() else {
        return;
    };
    let lab = RackLab::new();
    let tf = lab.fleet.testflinger.server();
    tf.inject("POST", "/v1/job", Fault::delay(500));
    let a = host_config(&lab, "a", &etcd.lock_yaml("3s"));
    let posts = || lab.submitted_agents().len();
    let running = lab.command(&["apply", &a, "--format", "json"]).spawn();
    let deadline = Instant::now() + Duration::from_secs(30);
    while posts() < 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    etcd.stop();
    let stopped_with = posts();
    let out = running.wait();
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("could not be renewed"),
        "{}",
        out.stderr
    );
    let report = out.json();
    let not_tried: Vec<_> = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["error"]["class"] == "not_tried")
        .collect();
    assert!(!not_tried.is_empty(), "{report}");
    assert!(
        not_tried[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("lease"),
        "{report}"
    );
    // Requests already on their way when the lease went may land; none starts after the
    // renewal failed (every third of the 3s TTL, so within about a second).
    let sent = posts();
    assert!(
        sent < 32,
        "every deploy was sent ({sent}) after etcd stopped at {stopped_with}"
    );
    assert_no_duplicate(&lab);
}

#[test]
fn lock_break_refuses_a_live_holder_without_force_and_removes_it_with_force() {
    // A long TTL: only a break lets the other host in soon.
    let Some((_etcd, lab, a, b)) = two_hosts(300, "60s") else {
        return;
    };
    kill_holder(&lab, &a, 1);
    let refused = lab.run(&["lock", "break", &b, "--yes"]);
    refused.expect_code(1);
    assert!(refused.stderr.contains("use --force"), "{}", refused.stderr);
    // Not on a terminal and no --yes: refused, nothing changed.
    let unconfirmed = lab.run(&["lock", "break", &b, "--force"]);
    unconfirmed.expect_code(1);
    assert!(
        unconfirmed.stderr.contains("typed `yes`"),
        "{}",
        unconfirmed.stderr
    );
    lab.run(&["apply", &b]).expect_code(5);
    let broken = lab.run(&["lock", "break", &b, "--force", "--yes"]);
    broken.expect_code(0);
    assert!(
        broken.stdout.contains("removed the holder host "),
        "{}",
        broken.stdout
    );
    let status = lab.run(&["lock", "status", &b]);
    assert!(status.stdout.contains(": free\n"), "{}", status.stdout);
    lab.fleet.testflinger.server().clear_faults();
    lab.run(&["apply", &b]).expect_code(0);
    lab.run(&["plan", &b, "--detailed-exitcode"]).expect_code(0);
    assert_no_duplicate(&lab);
}
