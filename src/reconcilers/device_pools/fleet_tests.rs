//! The spec each device's newest job of ours ran and each pool's generations, read from the
//! jobs' `spec:` labels; a job without one (or with a malformed one) is an unknown spec.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::Fleet;
use crate::load::{Desired, parse};
use crate::reconcilers::device_pools::membership::resolve;
use crate::reconcilers::device_pools::model::Generation;
use crate::reconcilers::ownership::Ownership;
use crate::snapshot::{Job, LambdatestState};

const OLD: &str = "0123456789ab";
const NEW: &str = "ba9876543210";

fn now() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().unwrap()
}

fn desired() -> Desired {
    let yaml = "version: 1\nsources:\n  taskcluster: {root_url: 'https://tc.example'}\n  lambdatest: {}\ndevice_pools:\n  a55:\n    task_queue: proj-autophone/gecko-t-a55\n    client_id: c\n    access_token_env: T\n    devices: [D1, D2, D3]\n";
    parse(std::path::Path::new("t.yaml"), yaml).unwrap().desired
}

/// Jobs of pool `a55`, each `(device, status, minutes ago, spec label)`, newest number last.
fn jobs(specs: &[(&str, &str, i64, Option<&str>)]) -> LambdatestState {
    let jobs = (specs.iter().enumerate())
        .map(|(i, (udid, status, minutes, spec))| {
            let mut labels = vec!["tcdp".into(), "a55".into(), udid.to_string()];
            labels.push("fleet:default".into());
            labels.extend(spec.map(|s| format!("spec:{s}")));
            Job {
                id: format!("job-{i}"),
                job_number: 100 + i as u64,
                status: status.to_string(),
                labels: Some(labels),
                created_at: Some(now() - SignedDuration::from_mins(*minutes)),
            }
        })
        .collect();
    LambdatestState {
        jobs,
        ..LambdatestState::default()
    }
}

fn with_fleet<T>(lambdatest: &LambdatestState, check: impl FnOnce(&Fleet<'_>) -> T) -> T {
    let desired = desired();
    let lt = desired.sources.lambdatest.as_ref().unwrap();
    let membership = resolve(&desired, &lambdatest.devices);
    let owner = Ownership::of(&desired);
    let fleet = Fleet::new(
        lt,
        None,
        BTreeMap::new(),
        lambdatest,
        membership,
        (owner, now()),
    );
    check(&fleet)
}

#[test]
fn a_device_reports_the_spec_of_its_job_in_flight_else_of_its_newest_job() {
    let reading = jobs(&[
        ("D1", "completed", 300, Some(OLD)),
        ("D1", "running", 5, Some(NEW)),
        ("D2", "completed", 200, Some(NEW)),
        ("D2", "failed", 100, Some(OLD)),
        ("D3", "completed", 100, None),
    ]);
    with_fleet(&reading, |fleet| {
        assert_eq!(fleet.device_spec("D1").as_deref(), Some(NEW));
        assert_eq!(fleet.device_spec("D2").as_deref(), Some(OLD), "newest job");
        assert_eq!(fleet.device_spec("D3"), None, "no spec label: unknown");
        assert_eq!(fleet.device_spec("D9"), None, "no job of ours");
    });
}

#[test]
fn a_pool_counts_its_jobs_and_failures_per_spec_oldest_generation_first() {
    let reading = jobs(&[
        ("D1", "completed", 300, None),
        ("D1", "failed", 200, Some(OLD)),
        ("D2", "completed", 190, Some(OLD)),
        ("D2", "running", 5, Some(OLD)),
        ("D3", "running", 4, Some(NEW)),
        ("D1", "timeout", 3, Some(NEW)),
        // Not a digest: read as an unknown spec.
        ("D1", "completed", 150, Some("not-a-digest")),
    ]);
    let generation = |spec: Option<&str>, jobs, failed, in_flight: &[&str]| Generation {
        spec: spec.map(str::to_string),
        jobs,
        failed,
        in_flight: in_flight.iter().map(|u| u.to_string()).collect(),
    };
    let got = with_fleet(&reading, |fleet| fleet.generations("a55"));
    assert_eq!(
        got,
        [
            generation(None, 2, 0, &[]),
            generation(Some(OLD), 3, 1, &["D2"]),
            generation(Some(NEW), 2, 1, &["D3"]),
        ]
    );
    assert!(with_fleet(&reading, |fleet| fleet.generations("other")).is_empty());
}
