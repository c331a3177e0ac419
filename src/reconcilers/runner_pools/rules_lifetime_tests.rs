//! Runner-pool planner tests over a pool's lifetime: a lowered `max_runners` drains, worn
//! runners are recycled, a runner busy too long is flagged, a disabled pool only reports. No
//! I/O; the builders are `rules_tests.rs`'s.

use super::tests::{ago, container, desired, pending, removed, run, runner};
use crate::plan::*;
use crate::snapshot::{RunnerPoolState, RunnerView};

/// `runners`, each served by a running container of ours.
fn served(runners: Vec<RunnerView>) -> RunnerPoolState {
    RunnerPoolState {
        containers: runners.iter().map(|r| container(r.id, "running")).collect(),
        runners,
        ..Default::default()
    }
}

#[test]
fn a_lowered_max_runners_drains_idle_runners_past_the_cooldown_and_keeps_busy_and_cooling_ones() {
    // Six runners, max 2: two busy, one idle for a minute (cooling down), three idle for an
    // hour. Pending jobs would keep every idle runner; the drain takes them all the same.
    let d = desired("    max_runners: 2\n    max_removals_per_run: 10\n");
    let mut runners = vec![runner(1, "online", 1, None), runner(2, "online", 1, None)];
    runners.push(runner(3, "online", 0, Some(1)));
    runners.extend((4..=6).map(|id| runner(id, "online", 0, Some(60))));
    let p = run(
        &d,
        RunnerPoolState {
            pending_jobs: pending(5, &["docker"]),
            ..served(runners)
        },
    );
    let drained: Vec<_> = removed(&p).into_iter().map(|(id, _)| id.unwrap()).collect();
    assert_eq!(drained, [4, 5, 6], "{}", p.reason);
    assert!(p.removals.iter().all(|r| r.why == RemovalReason::Drain));
    assert!(p.starts.is_empty(), "{}", p.reason);
    assert_eq!(p.numbers.unwrap().above_max, 4);
    assert!(
        p.reason.contains("above max_runners 2 with 6 runners, draining: 1 kept because 2 busy, 1 cooling down (idle_cooldown 5m)"),
        "{}",
        p.reason
    );
}

#[test]
fn the_drain_stays_within_the_removal_budget() {
    let d = desired("    max_runners: 1\n    max_removals_per_run: 2\n");
    let runners = (1..=5)
        .map(|id| runner(id, "online", 0, Some(60)))
        .collect();
    let p = run(&d, served(runners));
    assert_eq!(p.removals.len(), 2, "{}", p.reason);
    assert!(
        p.reason.contains("3 held by the removal budget"),
        "{}",
        p.reason
    );
}

#[test]
fn idle_runners_are_recycled_after_max_jobs_or_max_age_and_busy_ones_are_not() {
    let d = desired("    max_jobs_per_runner: 3\n    max_runner_age: 90m\n    min_idle: 3\n");
    let mut worn = runner(1, "online", 0, Some(1));
    worn.jobs_run = 3;
    worn.created_at = ago(10);
    let old = runner(2, "online", 0, Some(1)); // registered 120 minutes ago
    let mut busy_worn = runner(3, "online", 1, None);
    busy_worn.jobs_run = 9;
    let mut fresh = runner(4, "online", 0, Some(1));
    fresh.created_at = ago(10);
    let p = run(&d, served(vec![worn, old, busy_worn, fresh]));
    assert_eq!(
        removed(&p),
        [
            (Some(1), RemovalReason::Recycle),
            (Some(2), RemovalReason::Recycle)
        ]
    );
    // min_idle 3 with one idle runner staying: two replacements start in the same run.
    assert_eq!(p.starts.len(), 2, "{}", p.reason);
    let detail = |id| {
        p.runners
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .detail
            .clone()
    };
    assert!(detail(1).contains("max_jobs_per_runner 3"), "{}", detail(1));
    assert!(detail(2).contains("max_runner_age 1h 30m"), "{}", detail(2));
}

#[test]
fn a_runner_busy_past_max_job_duration_is_flagged_and_never_removed() {
    let d = desired("    max_job_duration: 20m\n    max_runners: 0\n");
    let p = run(&d, served(vec![runner(1, "online", 1, None)]));
    assert!(p.removals.is_empty());
    let r = &p.runners[0];
    assert_eq!(r.state, RunnerState::BusyTooLong);
    assert!(
        r.detail
            .contains("job 100 running for 30m, longer than max_job_duration 20m"),
        "{}",
        r.detail
    );
    assert_eq!(p.numbers.unwrap().busy_too_long, 1);
}

#[test]
fn a_disabled_pool_is_read_and_reported_with_nothing_to_do() {
    let d = desired("    disabled: true\n    max_remove_fraction: 1.0\n");
    let p = run(
        &d,
        RunnerPoolState {
            runners: vec![
                runner(1, "online", 0, Some(60)),
                runner(2, "offline", 0, None),
            ],
            containers: vec![container(1, "running")],
            ..Default::default()
        },
    );
    assert_eq!(p.status, PoolStatus::Disabled);
    assert!(p.removals.is_empty() && p.starts.is_empty());
    assert!(
        p.reason
            .starts_with("disabled in the desired state: report only (would start 0, remove 2)"),
        "{}",
        p.reason
    );
    assert!(
        p.runners.iter().all(|r| r.state == RunnerState::Kept),
        "{:?}",
        p.runners
    );
    assert_eq!(p.numbers.unwrap().runners, 2);
}

#[test]
fn a_disabled_pool_on_several_hosts_places_nothing_on_them() {
    let d = desired(
        "    disabled: true\n    docker_hosts:\n      - {host: 'tcp://a:2375', max_runners: 2}\n      - {host: 'tcp://b:2375', max_runners: 2}\n",
    );
    let reading = |host: &str| crate::snapshot::HostReading {
        host: host.into(),
        containers: Vec::new(),
        error: None,
    };
    let p = run(
        &d,
        RunnerPoolState {
            pending_jobs: pending(3, &["autogit"]),
            hosts: vec![reading("tcp://a:2375"), reading("tcp://b:2375")],
            ..Default::default()
        },
    );
    assert!(p.reason.contains("would start 3"), "{}", p.reason);
    assert!(p.starts.is_empty());
    let placed: Vec<usize> = p.hosts.iter().map(|h| h.starts.len()).collect();
    assert_eq!(placed, [0, 0], "{p:#?}");
}
