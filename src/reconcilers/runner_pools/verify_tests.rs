//! `apply --verify` on runner pools: above `max_runners` is broken only when this run started
//! runners for the pool; otherwise it is a drain, said as a note.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::verify;
use crate::load::{Desired, parse};
use crate::reconcilers::record::{Action, ActionRecord, Kind, Outcome};
use crate::snapshot::{ContainerView, RunnerPoolState, RunnerView, Snapshot};

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn desired() -> Desired {
    let yaml = "version: 1\nsources:\n  gitlab: {url: 'https://gitlab.example', token_env: GL}\n  docker: {}\nrunner_pools:\n  ci:\n    tags: [docker]\n    projects: [group/app]\n    max_runners: 1\n";
    parse(std::path::Path::new("t.yaml"), yaml).unwrap().desired
}

/// Two busy runners of pool `ci`, read back after the apply.
fn read_back() -> Snapshot {
    let at = Some(now() - SignedDuration::from_mins(10));
    let runners: Vec<RunnerView> = (1..=2)
        .map(|id| RunnerView {
            id,
            description: format!("devicepool-ci-{id}"),
            status: "online".into(),
            paused: false,
            paused_for_removal: false,
            paused_for_rollout: false,
            created_at: at,
            contacted_at: at,
            running_jobs: 1,
            last_finished_at: None,
            running_since: at,
            oldest_running_job: Some(id * 10),
            jobs_run: 1,
        })
        .collect();
    let containers = (1..=2)
        .map(|id| ContainerView {
            id: format!("c{id}"),
            name: format!("devicepool-ci-r{id}"),
            state: "running".into(),
            runner_id: Some(id),
            created: at,
            spec: None,
        })
        .collect();
    let state = RunnerPoolState {
        known_runner_ids: runners.iter().map(|r| r.id).collect(),
        runners,
        containers,
        ..Default::default()
    };
    Snapshot {
        taken_at: now(),
        queues: BTreeMap::new(),
        lambdatest: Ok(Default::default()),
        agents: Ok(Vec::new()),
        racks: BTreeMap::new(),
        runner_pools: BTreeMap::from([("ci".to_string(), Ok(state))]),
    }
}

#[test]
fn a_pool_above_a_lowered_maximum_that_this_run_started_nothing_for_is_draining() {
    let (broken, notes) = verify(&desired(), &read_back(), &[]);
    assert!(broken.is_empty(), "{broken:?}");
    assert_eq!(notes.len(), 1);
    assert_eq!(
        notes[0].note,
        "above max_runners 1 with 2 runners, draining: 1 kept because 2 busy; each goes once it is idle past idle_cooldown"
    );
}

#[test]
fn a_pool_this_run_started_runners_for_and_left_above_the_maximum_is_broken() {
    let mut started = ActionRecord::new(Kind::RunnerPool, "ci", Action::StartRunner, "r2");
    started.outcome = Outcome::Done;
    let (broken, notes) = verify(&desired(), &read_back(), &[started]);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        broken[0].problem,
        "2 runners of ours, above max_runners 1, after this run started 1"
    );
}

#[test]
fn a_runner_on_a_silent_host_is_left_alone_in_the_drain_note_not_removed() {
    let yaml = "version: 1\nsources:\n  gitlab: {url: 'https://gitlab.example', token_env: GL}\n  docker: {}\nrunner_pools:\n  ci:\n    tags: [docker]\n    projects: [group/app]\n    max_runners: 1\n    docker_hosts:\n      - {host: 'tcp://a:2375', max_runners: 1}\n      - {host: 'tcp://b:2375', max_runners: 1}\n";
    let desired = parse(std::path::Path::new("t.yaml"), yaml).unwrap().desired;
    let mut snapshot = read_back();
    let Some(Ok(state)) = snapshot.runner_pools.get_mut("ci") else {
        unreachable!()
    };
    // Runner 2, idle for an hour, runs on b, which did not answer the read back.
    let long_ago = Some(now() - SignedDuration::from_hours(2));
    let two = &mut state.runners[1];
    (two.running_jobs, two.running_since, two.oldest_running_job) = (0, None, None);
    (two.created_at, two.last_finished_at) = (long_ago, long_ago);
    state.containers.truncate(1);
    state.hosts = vec![
        crate::snapshot::HostReading {
            host: "tcp://a:2375".into(),
            containers: vec!["c1".into()],
            error: None,
        },
        crate::snapshot::HostReading {
            host: "tcp://b:2375".into(),
            containers: Vec::new(),
            error: Some("connection refused".into()),
        },
    ];
    let (broken, notes) = verify(&desired, &snapshot, &[]);
    assert!(broken.is_empty(), "{broken:?}");
    assert_eq!(
        notes[0].note,
        "above max_runners 1 with 2 runners, draining: 1 kept because 1 busy, 1 left alone; each goes once it is idle past idle_cooldown"
    );
}

#[test]
fn above_the_maximum_by_no_more_than_the_removals_not_done_is_a_note_beyond_it_broken() {
    let mut started = ActionRecord::new(Kind::RunnerPool, "ci", Action::StartRunner, "r2");
    started.outcome = Outcome::Done;
    let mut kept = ActionRecord::new(Kind::RunnerPool, "ci", Action::RemoveRunner, "runner 1");
    kept.outcome = Outcome::Kept;
    let actions = [started.clone(), kept];
    let (broken, notes) = verify(&desired(), &read_back(), &actions);
    assert!(broken.is_empty(), "{broken:?}");
    assert_eq!(
        notes[0].note,
        "2 runners of ours, above max_runners 1, after this run started 1 and kept 1 removal(s) it counted on (see the kept or failed removals above); the next run removes them once idle"
    );
    // A removal skipped from a saved plan was never counted on by the starts selected.
    let mut skipped = actions.clone();
    skipped[1].outcome = Outcome::Skipped;
    assert_eq!(verify(&desired(), &read_back(), &skipped).0.len(), 1);
    let mut lowered = desired();
    lowered.runner_pools.get_mut("ci").unwrap().max_runners = 0;
    let (broken, _) = verify(&lowered, &read_back(), &actions);
    assert_eq!(broken.len(), 1, "above by 2 with 1 removal kept");
}
