//! Global budget tests: `settings.max_actions_per_run` shared across device pools and runner
//! pools, with what was clipped said in the plan. No I/O.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::load::Desired;
use crate::load::parse;
use crate::plan::*;
use crate::snapshot::{
    Device, LambdatestState, PendingJobView, QueueState, RunnerPoolState, RunnerView, Snapshot,
};

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

/// Device pool `a` (A1..A3) and runner pool `ci`, under `max_actions_per_run: cap`.
fn desired(cap: u32) -> Desired {
    let yaml = format!(
        "version: 1\nsettings:\n  max_actions_per_run: {cap}\nsources:\n  taskcluster: {{root_url: 'https://tc.example'}}\n  lambdatest: {{}}\n  gitlab: {{url: 'https://gitlab.example', token_env: GL}}\n  docker: {{}}\ndevice_pools:\n  a:\n    task_queue: proj-autophone/gecko-t-a\n    client_id: c\n    access_token_env: T\n    devices: [A1, A2, A3]\nrunner_pools:\n  ci:\n    tags: [ci]\n    projects: [group/app]\n    offline_grace: 10m\n    max_remove_fraction: 1.0\n"
    );
    parse(std::path::Path::new("t.yaml"), &yaml)
        .unwrap()
        .desired
}

/// Pool `a` wants 3 starts; pool `ci` wants to remove `offline` runners and start `pending`.
fn snapshot(offline: u64, pending: u64) -> Snapshot {
    let mut lambdatest = LambdatestState::default();
    for udid in ["A1", "A2", "A3"] {
        lambdatest.devices.insert(
            udid.into(),
            Device {
                name: "A55".into(),
                status: "active".into(),
                ..Device::default()
            },
        );
    }
    let queue = QueueState {
        pending: 3,
        claimed: 0,
        ..QueueState::default()
    };
    let hour_ago = Some(now() - SignedDuration::from_hours(1));
    let runners: Vec<RunnerView> = (1..=offline)
        .map(|id| RunnerView {
            id,
            description: format!("devicepool-ci-{id}"),
            status: "offline".into(),
            paused: false,
            paused_for_removal: false,
            paused_for_rollout: false,
            created_at: hour_ago,
            contacted_at: hour_ago,
            running_jobs: 0,
            last_finished_at: None,
            running_since: None,
            oldest_running_job: None,
            jobs_run: 0,
        })
        .collect();
    let state = RunnerPoolState {
        known_runner_ids: runners.iter().map(|r| r.id).collect(),
        runners,
        pending_jobs: (0..pending)
            .map(|id| PendingJobView {
                id,
                project: "group/app".into(),
                tags: vec!["ci".into()],
                created_at: None,
            })
            .collect(),
        ..Default::default()
    };
    Snapshot {
        taken_at: now(),
        queues: [("proj-autophone/gecko-t-a".to_string(), Ok(queue))].into(),
        lambdatest: Ok(lambdatest),
        agents: Ok(Vec::new()),
        racks: BTreeMap::new(),
        runner_pools: [("ci".to_string(), Ok(state))].into(),
    }
}

fn plan_with(cap: u32, offline: u64, pending: u64) -> Plan {
    let origin = Origin {
        config_path: "t.yaml".into(),
        config_hash: "h".into(),
    };
    plan(&desired(cap), &snapshot(offline, pending), &origin)
}

#[test]
fn runner_actions_count_against_the_global_cap_shared_round_robin() {
    // 3 device starts + 2 removals + 2 runner starts wanted; 4 allowed: 2 and 2.
    let plan = plan_with(4, 2, 2);
    assert_eq!(plan.action_count(), 4);
    let pool = &plan.device_pools[0];
    assert_eq!(pool.starts.len(), 2);
    assert_eq!(pool.bound, Some(Bound::MaxActionsPerRun));
    assert_eq!(pool.numbers.unwrap().starts, 2);
    assert!(
        pool.reason.ends_with(
            "; clipped by settings.max_actions_per_run (4, 7 wanted in all): 2 of 3 kept"
        ),
        "{}",
        pool.reason
    );
    let runners = &plan.runner_pools[0];
    assert_eq!(runners.removals.len(), 2, "removals are kept first");
    assert!(runners.starts.is_empty());
    let numbers = runners.numbers.unwrap();
    assert_eq!((numbers.removals, numbers.starts), (2, 0));
    assert!(
        runners.reason.ends_with(
            "; clipped by settings.max_actions_per_run (4, 7 wanted in all): 2 of 4 kept (removals 2 of 2, starts 0 of 2)"
        ),
        "{}",
        runners.reason
    );
}

#[test]
fn removals_dropped_by_the_global_cap_keep_their_runners_and_start_nothing() {
    // 3 device starts + 3 removals + 1 runner start wanted; 3 allowed: 2 and 1.
    let plan = plan_with(3, 3, 1);
    let runners = &plan.runner_pools[0];
    assert_eq!(
        runners
            .removals
            .iter()
            .map(|r| r.runner_id)
            .collect::<Vec<_>>(),
        vec![Some(1)]
    );
    assert!(runners.starts.is_empty());
    let states: Vec<(u64, RunnerState)> = runners.runners.iter().map(|r| (r.id, r.state)).collect();
    assert_eq!(
        states,
        vec![
            (1, RunnerState::Remove),
            (2, RunnerState::Kept),
            (3, RunnerState::Kept)
        ]
    );
    assert!(
        runners.runners[1]
            .detail
            .ends_with("; kept by settings.max_actions_per_run"),
        "{}",
        runners.runners[1].detail
    );
    assert_eq!(plan.device_pools[0].starts.len(), 2);
}

#[test]
fn a_cap_that_is_not_reached_changes_nothing() {
    let plan = plan_with(7, 2, 2);
    assert_eq!(plan.action_count(), 7);
    assert_eq!(plan.device_pools[0].bound, Some(Bound::Demand));
    assert!(!plan.runner_pools[0].reason.contains("max_actions_per_run"));
    assert!(!plan.device_pools[0].reason.contains("max_actions_per_run"));
}

#[test]
fn the_global_cap_bound_serialises_by_its_setting_name() {
    let plan = plan_with(1, 0, 0);
    let json = serde_json::to_value(&plan.device_pools[0]).unwrap();
    assert_eq!(json["bound"], "max_actions_per_run");
}
