//! The etcd lease through the binary: two hosts racing, kill -9 of the holder then a
//! takeover after the TTL that waits out the killed run's requests, etcd lost mid-apply,
//! `lock status` and `lock break`.

use std::time::{Duration, Instant};

use devicepool_sim::Fault;

use super::etcd_server::{EtcdProxy, EtcdServer};
use super::{
    apply_until_first_deploy, expect_status_after_success, expect_stopped_by_lost_lease,
    expect_takeover_converges, host_config, race,
};
use crate::kill::kill_after;
use crate::racks::RackLab;

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
    let loser = race(&lab, &a, &b);
    assert!(
        loser
            .stderr
            .contains("another devicepool run holds the lock etcd key /devicepool/default/holder")
            && loser.stderr.contains("pid "),
        "{}",
        loser.stderr
    );
    // Given back, with when the winner last sent a mutation and that it succeeded.
    expect_status_after_success(&lab, &b, "etcd key /devicepool/default/holder at");
    let status = lab.run(&["lock", "status", &b]);
    assert!(status.stdout.contains(": free\n"), "{}", status.stdout);
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
    expect_takeover_converges(&lab, &b);
    assert!(
        killed_at.elapsed() >= Duration::from_secs(3),
        "taken before the TTL"
    );
}

#[test]
fn etcd_lost_mid_apply_stops_every_new_mutation_and_the_run_exits_non_zero() {
    let Some((mut etcd, lab, a, _)) = two_hosts(500, "3s") else {
        return;
    };
    let running = apply_until_first_deploy(&lab, &a);
    etcd.stop();
    // Requests already on their way when etcd went may land; none starts after the renewal
    // failed (every third of the 3s TTL, so within about a second).
    expect_stopped_by_lost_lease(&lab, &running.wait(), "could not be renewed");
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
    expect_forced_break(&lab, &b);
    let status = lab.run(&["lock", "status", &b]);
    assert!(status.stdout.contains(": free\n"), "{}", status.stdout);
    lab.fleet.testflinger.server().clear_faults();
    lab.run(&["apply", &b]).expect_code(0);
    lab.run(&["plan", &b, "--detailed-exitcode"]).expect_code(0);
    super::assert_no_duplicate(&lab);
}

#[test]
fn the_last_success_of_a_run_on_another_host_reaches_this_hosts_metrics() {
    let Some((_etcd, lab, a, b)) = two_hosts(0, "5s") else {
        return;
    };
    lab.run(&["apply", &a]).expect_code(0);
    // A new machine is due; host b's first run fails to deploy it, with no metrics file of
    // its own yet.
    lab.fleet
        .maas
        .add_machine("host-41", &["rack-a"], "Deployed");
    lab.fleet
        .testflinger
        .add_agent("host-41", "waiting", &["host-41"], "TOR3", None);
    let tf = lab.fleet.testflinger.server();
    tf.clear_faults();
    tf.inject("POST", "/v1/job", Fault::status(500));
    let metrics = lab.config.with_file_name("b.prom");
    let out = lab.run(&["apply", &b, "--metrics-file", metrics.to_str().unwrap()]);
    out.expect_code(3);
    let text = std::fs::read_to_string(&metrics).unwrap();
    let line = text
        .lines()
        .find(|l| l.starts_with("devicepool_last_success_timestamp_seconds"))
        .unwrap();
    let value: i64 = line.rsplit_once(' ').unwrap().1.parse().unwrap();
    assert!(value > 0, "host a's success is not carried: {line}");
}

#[test]
fn lock_break_refuses_a_holder_whose_lease_etcd_cannot_tell_about_without_force() {
    let Some((etcd, lab, a, _)) = two_hosts(300, "60s") else {
        return;
    };
    kill_holder(&lab, &a, 1);
    // Host b reaches etcd through a proxy that fails every TTL question.
    let proxy = EtcdProxy::start(&etcd);
    let b = host_config(&lab, "b", &proxy.lock_yaml("60s"));
    proxy
        .server()
        .inject("POST", "/v3/lease/timetolive", Fault::status(503));
    let status = lab.run(&["lock", "status", &b]);
    status.expect_code(0);
    assert!(
        status
            .stdout
            .contains("cannot tell when its lease runs out"),
        "{}",
        status.stdout
    );
    let refused = lab.run(&["lock", "break", &b, "--yes"]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("cannot be told") && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    expect_forced_break(&lab, &b);
}

/// The lease of `config` is still held (an apply exits 5), and `lock break --force --yes`
/// removes its holder.
fn expect_forced_break(lab: &RackLab, config: &str) {
    lab.run(&["apply", config]).expect_code(5);
    let broken = lab.run(&["lock", "break", config, "--force", "--yes"]);
    broken.expect_code(0);
    assert!(
        broken.stdout.contains("removed the holder host "),
        "{}",
        broken.stdout
    );
}

#[test]
fn a_run_that_fails_after_taking_the_lease_gives_it_back_at_once() {
    let Some((_etcd, lab, a, b)) = two_hosts(0, "60s") else {
        return;
    };
    // The job directory is a symbolic link: refused after the lease was taken.
    let state = lab.config.with_file_name("state-a");
    std::fs::create_dir_all(&state).unwrap();
    std::os::unix::fs::symlink("no-such-dir", state.join("jobs")).unwrap();
    let failed = lab.run(&["apply", &a]);
    failed.expect_code(1);
    // Not held for its 60s TTL: the other host goes ahead straight away.
    let status = lab.run(&["lock", "status", &b]);
    assert!(status.stdout.contains(": free\n"), "{}", status.stdout);
    lab.run(&["apply", &b]).expect_code(0);
}

#[test]
fn wait_lock_is_one_budget_for_the_file_lock_and_the_lease() {
    let Some((_etcd, lab, a, b)) = two_hosts(300, "60s") else {
        return;
    };
    // Host b's dead run keeps the lease for a minute.
    kill_holder(&lab, &b, 1);
    // Something else holds host a's file lock for 2s.
    let state = lab.config.with_file_name("state-a");
    std::fs::create_dir_all(&state).unwrap();
    let file = std::fs::File::create(state.join("lock")).unwrap();
    file.lock().unwrap();
    let holder = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(2));
        drop(file);
    });
    let started = Instant::now();
    let busy = lab.run(&["apply", &a, "--wait-lock", "3s"]);
    let waited = started.elapsed();
    holder.join().unwrap();
    busy.expect_code(5);
    assert!(busy.stderr.contains("runs out in"), "{}", busy.stderr);
    // About 3s in all, not 2s for the file lock and 3s more for the lease.
    assert!(
        (Duration::from_secs(2)..Duration::from_millis(4200)).contains(&waited),
        "waited {waited:?}"
    );
}
