//! `apply --verify` on device pools: a device held by two jobs of ours is broken only when
//! this run started a job on it; otherwise it is a note, and a stuck job holds nothing.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::verify;
use crate::load::{Desired, parse};
use crate::reconcilers::record::{Action, ActionRecord, Kind, Outcome};
use crate::snapshot::{Job, LambdatestState, Snapshot};

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn desired() -> Desired {
    let yaml = "version: 1\nsources:\n  taskcluster: {root_url: 'https://tc.example'}\n  lambdatest:\n    stuck_after: 1h\ndevice_pools:\n  a55:\n    task_queue: proj-autophone/gecko-t-a55\n    client_id: c\n    access_token_env: T\n    devices: [D1, D2]\n";
    parse(std::path::Path::new("t.yaml"), yaml).unwrap().desired
}

/// The fleet read back with jobs of pool `a55`, each `(device, status, minutes ago)`.
fn read_back(jobs: &[(&str, &str, i64)]) -> Snapshot {
    let jobs = (jobs.iter().enumerate())
        .map(|(i, (udid, status, minutes))| Job {
            id: format!("job-{i}"),
            job_number: 100 + i as u64,
            status: status.to_string(),
            labels: Some(vec!["tcdp".into(), "a55".into(), udid.to_string()]),
            created_at: Some(now() - SignedDuration::from_mins(*minutes)),
        })
        .collect();
    Snapshot {
        taken_at: now(),
        queues: BTreeMap::new(),
        lambdatest: Ok(LambdatestState {
            jobs,
            ..LambdatestState::default()
        }),
        agents: Ok(Vec::new()),
        racks: BTreeMap::new(),
        runner_pools: BTreeMap::new(),
    }
}

fn started(udid: &str, outcome: Outcome) -> ActionRecord {
    let mut start = ActionRecord::new(Kind::DevicePool, "a55", Action::StartJob, udid);
    start.outcome = outcome;
    start
}

#[test]
fn a_device_this_run_started_a_second_job_on_is_broken() {
    let fleet = read_back(&[("D1", "running", 20), ("D1", "initiated", 0)]);
    let (broken, notes) = verify(&desired(), &fleet, &[started("D1", Outcome::Done)]);
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(
        broken[0].problem,
        "device D1 has 2 jobs of ours queued or running: 100 (pool a55), 101 (pool a55), \
         after this run started one on it"
    );
}

#[test]
fn a_device_held_twice_by_earlier_runs_is_a_note_not_broken() {
    let fleet = read_back(&[("D1", "running", 20), ("D1", "initiated", 10)]);
    // This run started on another device only, and its failed try on D1 started nothing.
    let actions = [started("D2", Outcome::Done), started("D1", Outcome::Failed)];
    let (broken, notes) = verify(&desired(), &fleet, &actions);
    assert!(broken.is_empty(), "{broken:?}");
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].pool, "a55");
    assert_eq!(
        notes[0].note,
        "device D1 has 2 jobs of ours queued or running: 100 (pool a55), 101 (pool a55), \
         none started by this run"
    );
}

#[test]
fn a_stuck_job_next_to_this_runs_job_holds_nothing() {
    let fleet = read_back(&[("D1", "initiated", 90), ("D1", "initiated", 0)]);
    let (broken, notes) = verify(&desired(), &fleet, &[started("D1", Outcome::Done)]);
    assert!(broken.is_empty(), "{broken:?}");
    assert!(notes.is_empty(), "{notes:?}");
}
