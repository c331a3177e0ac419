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
