//! Unit tests of `runner_pools/execute.rs`: which Docker host each planned action goes to. No
//! I/O.

use super::*;
use crate::reconcilers::PoolStatus;
use crate::reconcilers::runner_pools::model::{HostPlacement, RemovalReason};
use crate::reconcilers::runner_pools::rules::held_runner_pool;

fn host(name: &str, answered: bool, removals: &[&str]) -> HostPlacement {
    HostPlacement {
        host: name.into(),
        max_runners: 2,
        containers: removals.len() as u32,
        answered,
        starts: Vec::new(),
        removals: removals.iter().map(|c| c.to_string()).collect(),
    }
}

fn removal(container: Option<&str>) -> RunnerRemoval {
    RunnerRemoval {
        runner_id: Some(7),
        container_id: container.map(str::to_string),
        why: RemovalReason::ContainerGone,
        detail: String::new(),
        preconditions: Vec::new(),
    }
}

#[test]
fn a_runner_without_a_container_on_a_pool_with_hosts_never_needs_the_one_docker_host() {
    let mut pool = held_runner_pool("ci", (PoolStatus::Planned, String::new()));
    pool.hosts = vec![
        host("tcp://a:2375", false, &[]),
        host("tcp://b:2375", true, &["c1"]),
    ];
    let default = "unix:///var/run/docker.sock";
    assert_eq!(removal_host(&pool, &removal(None), default), "tcp://b:2375");
    assert_eq!(
        removal_host(&pool, &removal(Some("c1")), default),
        "tcp://b:2375"
    );
    pool.hosts.clear();
    assert_eq!(removal_host(&pool, &removal(None), default), default);
}
