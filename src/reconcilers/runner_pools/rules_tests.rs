//! Runner-pool planner tests: small builders, one rule per test. No I/O.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::load::Desired;
use crate::load::parse;
use crate::plan::*;
use crate::snapshot::{ContainerView, PendingJobView, RunnerPoolState, RunnerView, Snapshot};

pub(in crate::reconcilers::runner_pools) fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

pub(in crate::reconcilers::runner_pools) fn ago(minutes: i64) -> Option<Timestamp> {
    Some(now() - SignedDuration::from_mins(minutes))
}

pub(in crate::reconcilers::runner_pools) fn desired(extra: &str) -> Desired {
    let yaml = format!(
        "version: 1\nsources:\n  gitlab: {{url: 'https://gitlab.example', token_env: GL}}\n  docker: {{}}\nrunner_pools:\n  autogit:\n    tags: [autogit, docker]\n    projects: [group/app]\n    idle_cooldown: 5m\n    offline_grace: 10m\n{extra}"
    );
    parse(std::path::Path::new("t.yaml"), &yaml)
        .unwrap()
        .desired
}

pub(in crate::reconcilers::runner_pools) fn runner(
    id: u64,
    status: &str,
    running: u32,
    finished_minutes_ago: Option<i64>,
) -> RunnerView {
    RunnerView {
        id,
        description: format!("devicepool-autogit-{id}"),
        status: status.into(),
        paused: false,
        paused_for_removal: false,
        paused_for_rollout: false,
        created_at: ago(120),
        contacted_at: if status == "online" { ago(0) } else { ago(60) },
        running_jobs: running,
        last_finished_at: finished_minutes_ago.and_then(ago),
        running_since: (running > 0).then(|| ago(30)).flatten(),
        oldest_running_job: (running > 0).then_some(id * 100),
        jobs_run: 1,
    }
}

pub(in crate::reconcilers::runner_pools) fn container(id: u64, state: &str) -> ContainerView {
    ContainerView {
        id: format!("c{id}"),
        name: format!("devicepool-autogit-{id}"),
        state: state.into(),
        runner_id: Some(id),
        created: ago(120),
        spec: None,
    }
}

pub(in crate::reconcilers::runner_pools) fn pending(n: u64, tags: &[&str]) -> Vec<PendingJobView> {
    (0..n)
        .map(|id| PendingJobView {
            id,
            project: "group/app".into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            created_at: None,
        })
        .collect()
}

pub(in crate::reconcilers::runner_pools) fn run(
    d: &Desired,
    mut state: RunnerPoolState,
) -> RunnerPoolPlan {
    state
        .known_runner_ids
        .extend(state.runners.iter().map(|r| r.id));
    let mut pools = BTreeMap::new();
    pools.insert("autogit".to_string(), Ok(state));
    let snapshot = Snapshot {
        taken_at: now(),
        queues: BTreeMap::new(),
        lambdatest: Ok(Default::default()),
        agents: Ok(Vec::new()),
        racks: BTreeMap::new(),
        runner_pools: pools,
    };
    let origin = Origin {
        config_path: "t.yaml".into(),
        config_hash: "h".into(),
    };
    plan(d, &snapshot, &origin).runner_pools.remove(0)
}

pub(in crate::reconcilers::runner_pools) fn removed(
    p: &RunnerPoolPlan,
) -> Vec<(Option<u64>, RemovalReason)> {
    p.removals.iter().map(|r| (r.runner_id, r.why)).collect()
}

#[test]
fn starts_one_runner_per_matching_pending_job_within_one_run() {
    let mut jobs = pending(7, &["autogit"]);
    jobs.extend(pending(2, &["gpu"]));
    let p = run(
        &desired(""),
        RunnerPoolState {
            pending_jobs: jobs,
            ..Default::default()
        },
    );
    assert_eq!(p.starts.len(), 7);
    assert_eq!(p.numbers.unwrap().pending, 7);
    assert_eq!(p.starts[0].name, "devicepool-autogit-1795608000-1");
}

#[test]
fn idle_runners_absorb_pending_jobs_and_min_idle_adds_spares() {
    let state = RunnerPoolState {
        runners: vec![
            runner(1, "online", 0, Some(1)),
            runner(2, "online", 1, None),
        ],
        containers: vec![container(1, "running"), container(2, "running")],
        pending_jobs: pending(3, &["docker"]),
        ..Default::default()
    };
    let p = run(&desired("    min_idle: 1\n"), state);
    assert_eq!(p.starts.len(), 3, "3 pending + 1 spare − 1 idle");
}

#[test]
fn idle_runners_go_only_after_the_cooldown_and_busy_ones_never() {
    let state = RunnerPoolState {
        runners: vec![
            runner(1, "online", 0, Some(3)),
            runner(2, "online", 0, Some(30)),
            runner(3, "online", 2, Some(300)),
        ],
        containers: vec![
            container(1, "running"),
            container(2, "running"),
            container(3, "running"),
        ],
        pending_jobs: Vec::new(),
        ..Default::default()
    };
    let p = run(&desired("    max_remove_fraction: 1.0\n"), state);
    assert_eq!(removed(&p), vec![(Some(2), RemovalReason::Idle)]);
    assert_eq!(p.runners[2].state, RunnerState::Busy);
}

#[test]
fn min_idle_and_pending_jobs_keep_idle_runners() {
    let state = RunnerPoolState {
        runners: vec![
            runner(1, "online", 0, Some(30)),
            runner(2, "online", 0, Some(40)),
        ],
        containers: vec![container(1, "running"), container(2, "running")],
        pending_jobs: pending(1, &["autogit"]),
        ..Default::default()
    };
    let p = run(&desired("    max_remove_fraction: 1.0\n"), state);
    assert_eq!(
        removed(&p),
        vec![(Some(2), RemovalReason::Idle)],
        "one idle runner stays for the pending job"
    );
    assert!(p.starts.is_empty());
}

#[test]
fn offline_runners_dead_containers_and_orphans_are_removed_after_the_grace() {
    let mut fresh_offline = runner(4, "never_contacted", 0, None);
    fresh_offline.created_at = ago(2);
    fresh_offline.contacted_at = None;
    let state = RunnerPoolState {
        runners: vec![
            runner(1, "offline", 0, None),
            runner(2, "online", 0, Some(1)),
            runner(3, "online", 0, Some(1)),
            fresh_offline,
        ],
        containers: vec![
            container(2, "exited"),
            container(3, "running"),
            container(9, "running"),
        ],
        pending_jobs: Vec::new(),
        ..Default::default()
    };
    let p = run(&desired("    max_remove_fraction: 1.0\n"), state);
    let mut got = removed(&p);
    got.sort_by_key(|(id, _)| *id);
    assert_eq!(
        got,
        vec![
            (None, RemovalReason::Orphan),
            (Some(1), RemovalReason::Offline)
        ],
        "runner 2's container exited but it contacted GitLab a minute ago; runner 4 is new"
    );
    assert_eq!(
        p.removals
            .iter()
            .find(|r| r.why == RemovalReason::Orphan)
            .unwrap()
            .container_id
            .as_deref(),
        Some("c9")
    );
}

#[test]
fn removal_budgets_clip_and_say_so() {
    let runners: Vec<RunnerView> = (1..=6).map(|i| runner(i, "offline", 0, None)).collect();
    let p = run(
        &desired("    max_remove_fraction: 0.5\n"),
        RunnerPoolState {
            runners,
            ..Default::default()
        },
    );
    assert_eq!(p.removals.len(), 3);
    assert!(p.reason.contains("removals clipped"), "{}", p.reason);
    assert_eq!(
        p.runners
            .iter()
            .filter(|r| r.state == RunnerState::Kept)
            .count(),
        3
    );
}

#[test]
fn max_runners_bounds_starts() {
    let runners: Vec<RunnerView> = (1..=8).map(|i| runner(i, "online", 1, None)).collect();
    let containers = (1..=8).map(|i| container(i, "running")).collect();
    let p = run(
        &desired("    max_runners: 10\n"),
        RunnerPoolState {
            runners,
            containers,
            pending_jobs: pending(5, &["docker"]),
            ..Default::default()
        },
    );
    assert_eq!(p.starts.len(), 2);
    assert!(
        p.reason.contains("starts clipped by max_runners"),
        "{}",
        p.reason
    );
}

#[test]
fn keeping_and_starting_agree_so_nothing_churns() {
    let runners: Vec<RunnerView> = (1..=7).map(|i| runner(i, "online", 0, Some(30))).collect();
    let containers = (1..=7).map(|i| container(i, "running")).collect();
    let state = RunnerPoolState {
        runners,
        containers,
        pending_jobs: pending(5, &["docker"]),
        ..Default::default()
    };
    let p = run(
        &desired("    min_idle: 2\n    max_remove_fraction: 1.0\n"),
        state,
    );
    assert_eq!((p.starts.len(), p.removals.len()), (0, 0), "{}", p.reason);
}

#[test]
fn a_runner_paused_by_an_earlier_removal_is_no_capacity_and_goes() {
    let mut stuck = runner(1, "paused", 0, Some(1));
    stuck.paused = true;
    stuck.paused_for_removal = true;
    let state = RunnerPoolState {
        runners: vec![stuck],
        containers: vec![container(1, "running")],
        pending_jobs: pending(1, &["autogit"]),
        ..Default::default()
    };
    let p = run(&desired("    max_remove_fraction: 1.0\n"), state);
    assert_eq!(p.starts.len(), 1, "{}", p.reason);
    assert_eq!(removed(&p), vec![(Some(1), RemovalReason::Offline)]);
}

#[test]
fn a_runner_a_person_paused_is_left_alone_and_is_no_capacity() {
    for status in ["paused", "offline", "stale"] {
        let mut held = runner(1, status, 0, Some(600));
        held.paused = true;
        let state = RunnerPoolState {
            runners: vec![held],
            containers: vec![container(1, "exited")],
            pending_jobs: pending(1, &["autogit"]),
            ..Default::default()
        };
        let p = run(&desired("    max_remove_fraction: 1.0\n"), state);
        assert!(p.removals.is_empty(), "{status}: {:?}", p.removals);
        assert_eq!(p.starts.len(), 1, "{status}: {}", p.reason);
        assert_eq!(p.runners[0].state, RunnerState::LeftAlone);
        assert_eq!(p.runners[0].detail, "paused by someone else; left alone");
    }
}

#[test]
fn a_container_whose_runner_exists_elsewhere_is_not_an_orphan() {
    let mut state = RunnerPoolState {
        containers: vec![container(42, "running")],
        ..Default::default()
    };
    state.known_runner_ids.insert(42);
    let p = run(&desired(""), state);
    assert!(p.removals.is_empty());
}

#[test]
fn untagged_pending_jobs_are_not_ours() {
    let p = run(
        &desired(""),
        RunnerPoolState {
            pending_jobs: pending(3, &[]),
            ..Default::default()
        },
    );
    assert!(p.starts.is_empty(), "{}", p.reason);
}

#[test]
fn a_saved_start_is_dropped_when_its_room_came_from_a_removal_the_saved_plan_lacks() {
    use crate::plan::recheck;
    let d = desired("    max_runners: 2\n    max_remove_fraction: 1.0\n");
    // Saved: runner 2 gone, so one start.
    let mut gone = runner(2, "never_contacted", 0, None);
    gone.contacted_at = None;
    let saved_state = RunnerPoolState {
        runners: vec![runner(1, "online", 0, Some(1)), gone],
        containers: vec![container(1, "running"), container(2, "running")],
        pending_jobs: pending(2, &["autogit"]),
        ..Default::default()
    };
    // Fresh: runner 2 took a job; runner 1 lost its container instead.
    let fresh_state = RunnerPoolState {
        runners: vec![
            runner(1, "online", 0, Some(1)),
            runner(2, "online", 1, None),
        ],
        containers: vec![container(1, "exited"), container(2, "running")],
        pending_jobs: pending(2, &["autogit"]),
        ..Default::default()
    };
    let wrap = |p: RunnerPoolPlan| Plan {
        format: PLAN_FORMAT,
        devicepool: "t".into(),
        config_path: "t".into(),
        config_hash: "h".into(),
        snapshot_at: now(),
        expires_at: now(),
        replayed: false,
        runner_pools: vec![p],
        ..Plan::default()
    };
    let mut fresh_state = fresh_state;
    fresh_state.runners[0].contacted_at = ago(60);
    let saved = wrap(run(&d, saved_state));
    let fresh = wrap(run(&d, fresh_state));
    assert_eq!(saved.runner_pools[0].starts.len(), 1);
    assert_eq!(
        fresh.runner_pools[0].starts.len(),
        1,
        "{}",
        fresh.runner_pools[0].reason
    );
    let checked = recheck(&saved, &fresh);
    assert!(
        checked.kept.runner_pools[0].starts.is_empty(),
        "{checked:#?}"
    );
    // The saved removal of runner 2 drifted: the reason is what the fresh plan says of it.
    let busy = &fresh.runner_pools[0]
        .runners
        .iter()
        .find(|r| r.id == 2)
        .expect("runner 2")
        .detail;
    let reason = checked
        .drifted
        .iter()
        .find(|d| d.target == "runner 2")
        .map(|d| d.reason.clone())
        .expect("the removal of runner 2 drifted");
    assert_eq!(reason, format!("no longer to be removed: {busy}"));
}
