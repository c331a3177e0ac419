//! Unit tests of `runner_pools/placement.rs`: placement by room and clipping. No I/O.

use jiff::Timestamp;

use super::*;
use crate::load::parse;
use crate::snapshot::{HostReading, PendingJobView};

fn pool(hosts: &str) -> RunnerPool {
    let yaml = format!(
        "version: 1\nsources:\n  gitlab: {{url: 'https://gitlab.example', token_env: GL}}\nrunner_pools:\n  ci:\n    tags: [ci]\n    projects: [group/app]\n    docker_hosts: [{hosts}]\n"
    );
    let desired = parse(std::path::Path::new("t.yaml"), &yaml)
        .unwrap()
        .desired;
    desired.runner_pools["ci"].clone()
}

fn read(host: &str, containers: usize) -> HostReading {
    HostReading {
        host: host.into(),
        containers: (0..containers).map(|i| format!("{host}-{i}")).collect(),
        error: None,
    }
}

fn pending(n: u64) -> Vec<PendingJobView> {
    (0..n)
        .map(|id| PendingJobView {
            id,
            project: "group/app".into(),
            tags: vec!["ci".into()],
            created_at: None,
        })
        .collect()
}

#[test]
fn starts_take_the_most_room_first_and_stop_where_the_hosts_are_full() {
    let pool = pool("{host: 'tcp://a:1', max_runners: 2}, {host: 'tcp://b:1', max_runners: 3}");
    let state = RunnerPoolState {
        pending_jobs: pending(9),
        hosts: vec![read("tcp://a:1", 1), read("tcp://b:1", 1)],
        ..Default::default()
    };
    let now: Timestamp = "2026-11-25T12:00:00Z".parse().unwrap();
    let plan = plan_on_hosts("ci", &pool, &state, (false, now));
    let placed: Vec<usize> = plan.hosts.iter().map(|h| h.starts.len()).collect();
    // Room 1 and 2: b, then a tie goes to a, then b; then every host is full.
    assert_eq!(placed, [1, 2], "{plan:#?}");
    assert_eq!(plan.starts.len(), 3);
    assert_eq!(plan.numbers.unwrap().starts, 3);
    assert!(
        plan.reason
            .contains("starts clipped by the room on the answering Docker hosts: 3 of 5"),
        "{}",
        plan.reason
    );
}

/// Hosts a and b taking `each` runners, the pool `max_runners`.
fn two_hosts(each: u32, max_runners: u32) -> RunnerPool {
    let mut pool = pool(&format!(
        "{{host: 'tcp://a:1', max_runners: {each}}}, {{host: 'tcp://b:1', max_runners: {each}}}"
    ));
    pool.max_runners = max_runners;
    pool
}

/// `host`, which did not answer.
fn silent(host: &str) -> HostReading {
    HostReading {
        error: Some(format!("docker GET {host}/_ping: connection refused")),
        ..read(host, 0)
    }
}

/// Runner `id`, online, idle since an hour ago (past any cool-down), made two hours ago.
fn idle_runner(id: u64) -> RunnerView {
    let ago = |h: i64| Some(now() - jiff::SignedDuration::from_hours(h));
    RunnerView {
        id,
        description: format!("devicepool-ci-{id}"),
        status: "online".into(),
        paused: false,
        paused_for_removal: false,
        paused_for_rollout: false,
        created_at: ago(2),
        contacted_at: Some(now()),
        running_jobs: 0,
        last_finished_at: ago(1),
        running_since: None,
        oldest_running_job: None,
        jobs_run: 1,
    }
}

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

/// Runner `id`'s container, running.
fn container_on(id: u64) -> crate::snapshot::ContainerView {
    crate::snapshot::ContainerView {
        id: format!("c{id}"),
        name: format!("devicepool-ci-r{id}"),
        state: "running".into(),
        runner_id: Some(id),
        created: Some(now()),
        spec: None,
    }
}

#[test]
fn a_silent_host_drains_no_idle_runner_on_the_hosts_that_answer() {
    // max_runners 3: runners 1 and 2 idle on a (two pending jobs keep them), runners 3 and 4
    // with no container a answers for (on b, which is silent, or gone: nobody can tell).
    let pool = two_hosts(3, 3);
    let mut on_a = read("tcp://a:1", 0);
    on_a.containers = vec!["c1".into(), "c2".into()];
    let state = RunnerPoolState {
        runners: (1..=4).map(idle_runner).collect(),
        containers: vec![container_on(1), container_on(2)],
        known_runner_ids: (1..=4).collect(),
        pending_jobs: pending(2),
        hosts: vec![on_a, silent("tcp://b:1")],
        ..Default::default()
    };
    let plan = plan_on_hosts("ci", &pool, &state, (false, now()));
    assert!(plan.removals.is_empty(), "{plan:#?}");
    assert!(
        plan.starts.is_empty(),
        "4 runners counted, max 3: {plan:#?}"
    );
    let n = plan.numbers.unwrap();
    assert_eq!((n.runners, n.max_runners, n.above_max), (4, 3, 1));
    let held = plan
        .runners
        .iter()
        .filter(|r| r.state == RunnerState::LeftAlone);
    assert_eq!(held.count(), 2, "{plan:#?}");
}

#[test]
fn a_silent_host_still_counts_its_runners_against_the_starts() {
    // max_runners 4, one runner held on silent b: three starts at most for six pending jobs.
    let pool = two_hosts(5, 4);
    let state = RunnerPoolState {
        runners: vec![idle_runner(7)],
        known_runner_ids: vec![7].into_iter().collect(),
        pending_jobs: pending(6),
        hosts: vec![read("tcp://a:1", 0), silent("tcp://b:1")],
        ..Default::default()
    };
    let plan = plan_on_hosts("ci", &pool, &state, (false, now()));
    assert_eq!(plan.starts.len(), 3, "{plan:#?}");
    assert_eq!(plan.numbers.unwrap().starts, 3);
    assert!(
        plan.reason.contains(
            "starts clipped by max_runners with 1 runners held on Docker hosts that do not answer"
        ),
        "{}",
        plan.reason
    );
}

#[test]
fn a_host_the_snapshot_has_no_reading_of_is_silent_and_its_runners_are_held() {
    // A replay of a snapshot taken before host b was named: b's runner 2 has no container the
    // snapshot knows; it is held, not removed as gone.
    let pool = two_hosts(3, 3);
    let mut on_a = read("tcp://a:1", 0);
    on_a.containers = vec!["c1".into()];
    let state = RunnerPoolState {
        runners: vec![idle_runner(1), idle_runner(2)],
        containers: vec![container_on(1)],
        known_runner_ids: vec![1, 2].into_iter().collect(),
        pending_jobs: pending(2),
        hosts: vec![on_a],
        ..Default::default()
    };
    let plan = plan_on_hosts("ci", &pool, &state, (false, now()));
    assert!(plan.removals.is_empty(), "{plan:#?}");
    assert!(!plan.hosts[1].answered);
    let two = plan.runners.iter().find(|r| r.id == 2).unwrap();
    assert_eq!(two.state, RunnerState::LeftAlone, "{two:#?}");
}

#[test]
fn a_recycled_runner_s_replacement_takes_the_room_its_removal_frees_on_a_full_host() {
    // Host a is full (2 of 2); runner 1 has run its 3 jobs and is recycled: its replacement
    // goes where its container leaves room.
    let mut pool = pool("{host: 'tcp://a:1', max_runners: 2}");
    pool.max_jobs_per_runner = Some(3);
    let mut worn = idle_runner(1);
    worn.jobs_run = 3;
    let mut on_a = read("tcp://a:1", 0);
    on_a.containers = vec!["c1".into(), "c2".into()];
    let state = RunnerPoolState {
        runners: vec![worn, idle_runner(2)],
        containers: vec![container_on(1), container_on(2)],
        known_runner_ids: vec![1, 2].into_iter().collect(),
        pending_jobs: pending(2),
        hosts: vec![on_a],
        ..Default::default()
    };
    let plan = plan_on_hosts("ci", &pool, &state, (false, now()));
    assert_eq!(plan.removals.len(), 1, "{plan:#?}");
    assert_eq!(plan.hosts[0].removals, ["c1"]);
    assert_eq!(plan.starts.len(), 1, "{}", plan.reason);
    assert_eq!(plan.hosts[0].starts.len(), 1, "{plan:#?}");
}

#[test]
fn the_reason_names_the_hosts_room_and_says_the_drain_on_the_whole_pool() {
    // Hosts taking 2 each; b is silent with runners 3 and 4; a's runners 1 and 2 finished a
    // job a minute ago (cooling down). Under max_runners 3, four runners: above it, nothing
    // removed.
    let pool = two_hosts(2, 10);
    let mut on_a = read("tcp://a:1", 0);
    on_a.containers = vec!["c1".into(), "c2".into()];
    let mut runners: Vec<RunnerView> = (1..=4).map(idle_runner).collect();
    for runner in &mut runners[..2] {
        runner.last_finished_at = Some(now() - jiff::SignedDuration::from_mins(1));
    }
    let state = RunnerPoolState {
        runners,
        containers: vec![container_on(1), container_on(2)],
        known_runner_ids: (1..=4).collect(),
        pending_jobs: pending(5),
        hosts: vec![on_a, silent("tcp://b:1")],
        ..Default::default()
    };
    let plan = plan_on_hosts("ci", &pool, &state, (false, now()));
    assert!(
        plan.reason
            .contains("starts clipped by the answering Docker hosts' max_runners (2 in all)"),
        "{}",
        plan.reason
    );
    let mut pool = two_hosts(2, 3);
    pool.max_runners = 3;
    let plan = plan_on_hosts("ci", &pool, &state, (false, now()));
    assert!(
        plan.reason.ends_with(
            "above max_runners 3 with 4 runners, draining: 1 kept because 2 cooling down (idle_cooldown 5m), 2 left alone; each goes once it is idle past idle_cooldown"
        ),
        "{}",
        plan.reason
    );
}
