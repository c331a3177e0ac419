//! Planner unit tests: tiny builders for desired state and snapshot, table-style cases and
//! insta snapshots of whole pool plans. No I/O.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::load::parse;
use crate::snapshot::{Device, Job, LambdatestState, QueueState, Snapshot};

const NOW: &str = "2026-11-25T12:00:00Z";

fn now() -> Timestamp {
    NOW.parse().unwrap()
}

/// A desired state with `pools` = (name, devices, max_starts) and optional extra LambdaTest keys.
fn desired(pools: &[(&str, &[&str], u32)], lambdatest_extra: &str) -> Desired {
    let mut yaml = format!(
        "version: 1\nsources:\n  taskcluster: {{root_url: 'https://tc.example'}}\n  lambdatest:\n    max_initiated: 40\n{lambdatest_extra}device_pools:\n"
    );
    for (name, devices, max) in pools {
        yaml.push_str(&format!(
            "  {name}:\n    task_queue: proj-autophone/gecko-t-{name}\n    client_id: c\n    access_token_env: T\n    max_starts_per_run: {max}\n    devices: [{}]\n",
            devices.join(", ")
        ));
    }
    parse(std::path::Path::new("test.yaml"), &yaml)
        .unwrap()
        .desired
}

struct World {
    snapshot: Snapshot,
}

impl World {
    fn new() -> Self {
        Self {
            snapshot: Snapshot {
                taken_at: now(),
                queues: BTreeMap::new(),
                lambdatest: Ok(LambdatestState::default()),
                agents: Ok(Vec::new()),
                racks: BTreeMap::new(),
                runner_pools: BTreeMap::new(),
            },
        }
    }
    fn pending(mut self, pool: &str, pending: u64) -> Self {
        self.snapshot.queues.insert(
            format!("proj-autophone/gecko-t-{pool}"),
            Ok(QueueState {
                pending,
                claimed: 0,
                ..QueueState::default()
            }),
        );
        self
    }
    fn claimed(mut self, pool: &str, claimed: u64) -> Self {
        let queue = self
            .snapshot
            .queues
            .get_mut(&format!("proj-autophone/gecko-t-{pool}"));
        queue.unwrap().as_mut().unwrap().claimed = claimed;
        self
    }
    fn quarantine(mut self, pool: &str, udid: &str, minutes_from_now: i64) -> Self {
        let queue = self
            .snapshot
            .queues
            .get_mut(&format!("proj-autophone/gecko-t-{pool}"))
            .unwrap();
        let until = now() + SignedDuration::from_mins(minutes_from_now);
        queue
            .as_mut()
            .unwrap()
            .quarantined
            .insert(udid.into(), Some(until));
        self
    }
    fn devices(mut self, status: &str, udids: &[&str]) -> Self {
        let lt = self.snapshot.lambdatest.as_mut().unwrap();
        for udid in udids {
            lt.devices.insert(
                udid.to_string(),
                Device {
                    name: "A55".into(),
                    status: status.into(),
                    ..Device::default()
                },
            );
        }
        self
    }
    fn job(mut self, labels: &[&str], status: &str, minutes_ago: i64) -> Self {
        let lt = self.snapshot.lambdatest.as_mut().unwrap();
        let number = 1000 + lt.jobs.len() as u64;
        lt.jobs.push(Job {
            id: format!("job-{number}"),
            job_number: number,
            status: status.into(),
            labels: Some(labels.iter().map(|s| s.to_string()).collect()),
            created_at: Some(now() - SignedDuration::from_mins(minutes_ago)),
        });
        self
    }
    fn plan(&self, desired: &Desired) -> Plan {
        let origin = Origin {
            config_path: "test.yaml".into(),
            config_hash: "h".into(),
        };
        plan(desired, &self.snapshot, &origin)
    }
}

fn starts(plan: &Plan, pool: &str) -> Vec<String> {
    let p = plan.device_pools.iter().find(|p| p.pool == pool).unwrap();
    p.starts.iter().map(|s| s.udid.clone()).collect()
}

#[test]
fn free_is_active_minus_quarantined_minus_in_flight() {
    let d = desired(&[("a", &["A1", "A2", "A3", "A4", "A5"], 10)], "");
    let world = World::new()
        .pending("a", 10)
        .devices("active", &["A1", "A2", "A3", "A4"])
        .devices("cleanup", &["A5"])
        .quarantine("a", "A1", 30)
        .job(&["tcdp", "a", "A2"], "running", 5);
    let plan = world.plan(&d);
    assert_eq!(starts(&plan, "a"), vec!["A3", "A4"]);
    let numbers = plan.device_pools[0].numbers.unwrap();
    assert_eq!(
        (
            numbers.active,
            numbers.quarantined,
            numbers.in_flight,
            numbers.free
        ),
        (4, 1, 1, 2)
    );
}

#[test]
fn an_expired_quarantine_does_not_count() {
    let d = desired(&[("a", &["A1"], 10)], "");
    let world = World::new()
        .pending("a", 1)
        .devices("active", &["A1"])
        .quarantine("a", "A1", -1);
    assert_eq!(starts(&world.plan(&d), "a"), vec!["A1"]);
}

#[test]
fn demand_subtracts_only_our_initiated_jobs_and_labels_match_exactly() {
    let d = desired(&[("a", &["A1", "A2", "A3", "A4"], 10)], "");
    let world = World::new()
        .pending("a", 3)
        .devices("active", &["A1", "A2", "A3", "A4"])
        .devices("busy", &["X"])
        .job(&["tcdp", "a", "X"], "initiated", 2)
        .job(&["tcdp", "ab", "X"], "initiated", 2)
        .job(&["other", "a", "X"], "initiated", 2)
        .job(&["tcdp", "a"], "initiated", 2);
    let plan = world.plan(&d);
    let numbers = plan.device_pools[0].numbers.unwrap();
    assert_eq!(numbers.waiting, 1);
    assert_eq!(numbers.demand, 2);
    assert_eq!(numbers.org_initiated, 4);
    assert_eq!(starts(&plan, "a").len(), 2);
}

#[test]
fn a_fresh_job_of_unknown_status_holds_its_device_but_an_ended_one_does_not() {
    let d = desired(&[("a", &["A1", "A2", "A3"], 10)], "    launch_grace: 5m\n");
    let world = World::new()
        .pending("a", 5)
        .devices("active", &["A1", "A2", "A3"])
        .job(&["tcdp", "a", "A1"], "created", 1)
        .job(&["tcdp", "a", "A2"], "failed", 1)
        .job(&["tcdp", "a", "A3"], "created", 10);
    let plan = world.plan(&d);
    assert_eq!(starts(&plan, "a"), vec!["A3", "A2"]);
}

#[test]
fn least_recently_used_devices_go_first() {
    let d = desired(&[("a", &["A1", "A2", "A3", "A4"], 2)], "");
    let world = World::new()
        .pending("a", 9)
        .devices("active", &["A1", "A2", "A3", "A4"])
        .job(&["tcdp", "a", "A1"], "completed", 10)
        .job(&["tcdp", "a", "A2"], "completed", 50)
        .job(&["tcdp", "a", "A4"], "completed", 30);
    assert_eq!(starts(&world.plan(&d), "a"), vec!["A3", "A2"]);
}

#[test]
fn exactly_max_initiated_starts_nothing_more() {
    let d = desired(&[("a", &["A1"], 10)], "");
    let mut world = World::new().pending("a", 1).devices("active", &["A1"]);
    for _ in 0..40 {
        world = world.job(&["other"], "initiated", 1);
    }
    let plan = world.plan(&d);
    assert_eq!(
        plan.device_pools[0].reason,
        "clipped by max_initiated: wanted 1, starting 0"
    );
}

#[test]
fn a_failed_source_holds_only_the_pools_that_need_it() {
    use crate::clients::http::{ApiError, Failure};
    let d = desired(&[("a", &["A1"], 10), ("b", &["B1"], 10)], "");
    let mut world = World::new()
        .pending("a", 1)
        .devices("active", &["A1", "B1"]);
    world.snapshot.queues.insert(
        "proj-autophone/gecko-t-b".into(),
        Err(ApiError {
            api: "taskcluster",
            method: "GET",
            url: "https://tc.example/x".into(),
            failure: Failure::Status {
                status: 500,
                excerpt: "boom".into(),
            },
        }),
    );
    let plan = world.plan(&d);
    assert_eq!(starts(&plan, "a"), vec!["A1"]);
    assert_eq!(
        plan.held()
            .into_iter()
            .map(|(name, _)| name)
            .collect::<Vec<_>>(),
        vec!["b".to_string()]
    );
}

#[test]
fn a_pool_held_by_two_failed_sources_names_both() {
    use crate::clients::http::{ApiError, Failure};
    let d = desired(&[("a", &["A1"], 10)], "");
    let mut world = World::new().pending("a", 1).devices("active", &["A1"]);
    let failure = |api: &'static str, status: u16| ApiError {
        api,
        method: "GET",
        url: format!("https://{api}.example/x"),
        failure: Failure::Status {
            status,
            excerpt: String::new(),
        },
    };
    world.snapshot.queues.insert(
        "proj-autophone/gecko-t-a".into(),
        Err(failure("taskcluster", 500)),
    );
    world.snapshot.lambdatest = Err(failure("lambdatest", 401));
    let plan = world.plan(&d);
    let reason = &plan.device_pools[0].reason;
    assert!(reason.starts_with("2 sources failed: "), "{reason}");
    assert!(
        reason.contains("taskcluster: GET https://taskcluster.example/x: HTTP 500"),
        "{reason}"
    );
    assert!(
        reason.contains("lambdatest: GET https://lambdatest.example/x: HTTP 401"),
        "{reason}"
    );
}

#[test]
fn the_plan_is_deterministic_and_snapshots_cleanly() {
    let d = desired(
        &[("b", &["B2", "B1", "B3"], 2), ("a", &["A1", "A2"], 10)],
        "",
    );
    let world = World::new()
        .pending("a", 0)
        .pending("b", 7)
        .devices("active", &["B1", "B2", "B3", "A1"])
        .job(&["tcdp", "b", "B3"], "completed", 20);
    let first = world.plan(&d);
    assert_eq!(first, world.plan(&d));
    insta::assert_yaml_snapshot!(first.device_pools);
}

#[test]
fn the_global_cap_is_shared_round_robin_and_noted() {
    let mut d = desired(
        &[("a", &["A1", "A2", "A3"], 10), ("b", &["B1", "B2"], 10)],
        "",
    );
    d.settings.max_actions_per_run = Some(3);
    let world = World::new()
        .pending("a", 3)
        .pending("b", 2)
        .devices("active", &["A1", "A2", "A3", "B1", "B2"]);
    let plan = world.plan(&d);
    assert_eq!(starts(&plan, "a"), vec!["A1", "A2"]);
    assert_eq!(starts(&plan, "b"), vec!["B1"]);
    assert_eq!(
        plan.device_pools[1].reason,
        "demand met: wanted 2, starting 2; clipped by settings.max_actions_per_run (3, 5 wanted in all): 1 of 2 kept"
    );
    let b2 = plan.device_pools[1]
        .devices
        .iter()
        .find(|x| x.udid == "B2")
        .unwrap();
    assert_eq!(b2.state, DeviceState::Spare);
}

#[test]
fn a_machine_in_two_racks_is_deployed_once_per_run() {
    use crate::snapshot::{AgentHistory, MaasMachine, RackState, TestflingerAgent};
    let yaml = "version: 1\nsources:\n  maas: {url: 'https://maas.example/MAAS', api_key_env: K}\n  testflinger: {url: 'https://tf.example'}\nracks:\n  ra: {maas_tags: [a]}\n  rb: {maas_tags: [b]}\n";
    let d = parse(std::path::Path::new("t.yaml"), yaml).unwrap().desired;
    let machine = MaasMachine {
        hostname: "host-01".into(),
        system_id: "abc".into(),
        status: 6,
        status_name: "Deployed".into(),
        tags: vec!["a".into(), "b".into()],
        zone: "default".into(),
        pool: "default".into(),
    };
    let agent = TestflingerAgent {
        name: "host-01".into(),
        state: "waiting".into(),
        queues: vec!["host-01".into()],
        location: "TOR3".into(),
        job_id: None,
        updated_at: None,
        provision_streak_type: None,
        provision_streak_count: None,
        restricted_to: Default::default(),
    };
    let state = RackState {
        machines: vec![machine],
        histories: [("host-01".to_string(), AgentHistory::default())]
            .into_iter()
            .collect(),
        ..RackState::default()
    };
    let mut world = World::new();
    world.snapshot.agents = Ok(vec![agent]);
    world.snapshot.racks.insert("ra".into(), Ok(state.clone()));
    world.snapshot.racks.insert("rb".into(), Ok(state));
    let plan = world.plan(&d);
    assert_eq!(plan.racks[0].deploys.len(), 1);
    assert!(plan.racks[1].deploys.is_empty());
    assert_eq!(
        plan.racks[1].machines[0].detail,
        "deployed by rack ra in this run"
    );
}

/// A job of ours covers a pending task until it claims one: waiting ones always, running ones
/// younger than `launch_grace` (5m) as far as the queue's claimed count leaves them unclaimed,
/// ended ones never.
#[test]
fn demand_is_pending_minus_the_jobs_not_yet_matched_by_a_claimed_task() {
    let d = desired(&[("a", &["A1", "A2", "A3", "A4", "A5", "A6"], 10)], "");
    let covering = |claimed: u64| {
        let world = World::new()
            .pending("a", 10)
            .claimed("a", claimed)
            .devices("active", &["A1", "A2", "A3", "A4", "A5", "A6"])
            .job(&["tcdp", "a", "A1"], "initiated", 1)
            .job(&["tcdp", "a", "A2"], "running", 1)
            .job(&["tcdp", "a", "A3"], "running", 2)
            .job(&["tcdp", "a", "A4"], "running", 30)
            .job(&["tcdp", "a", "A5"], "completed", 1)
            .job(&["tcdp", "a", "A6"], "failed", 2);
        let n = world.plan(&d).device_pools[0].numbers.unwrap();
        (n.waiting, n.running, n.young_running, n.covering, n.demand)
    };
    // 3 running, 2 of them young; the ended young ones cover nothing.
    assert_eq!(covering(0), (1, 3, 2, 3, 7));
    assert_eq!(
        covering(1),
        (1, 3, 2, 3, 7),
        "the old one may be the one that claimed"
    );
    assert_eq!(covering(2), (1, 3, 2, 2, 8));
    assert_eq!(covering(3), (1, 3, 2, 1, 9));
    assert_eq!(
        covering(9),
        (1, 3, 2, 1, 9),
        "more claimed than ours running: none of them covers"
    );
}
