//! Unit tests of `report/metrics.rs`.

use std::collections::BTreeMap;

use super::{Previous, RunFacts, labels, metrics_text, previous};
use crate::exit::Exit;

type Apis = BTreeMap<&'static str, crate::clients::request_stats::ApiStats>;

fn facts(exit: Exit, apis: &Apis) -> RunFacts<'_> {
    RunFacts {
        partition: "all",
        plan: None,
        report: None,
        apis,
        exit,
        now: "2025-06-01T12:00:00Z".parse().unwrap(),
    }
}

/// A plan of the pools in `pools` (`device_pools`, `runner_pools`), empty lists for the rest.
fn plan_of(pools: serde_json::Value) -> crate::plan::Plan {
    let mut plan = serde_json::json!({
        "format": 1, "devicepool": "0", "config_path": "d.yaml", "config_hash": "sha256:0",
        "snapshot_at": "2025-06-01T12:00:00Z", "expires_at": "2025-06-01T12:10:00Z",
        "device_pools": [], "runner_pools": [],
    });
    for (key, value) in pools.as_object().expect("pools by kind") {
        plan[key] = value.clone();
    }
    serde_json::from_value(plan).expect("a plan")
}

/// A runner pool of the plan in `state`, with no runners.
fn runner_pool(pool: &str, state: &str) -> serde_json::Value {
    serde_json::json!({
        "pool": pool, "status": {"state": state}, "reason": "r",
        "starts": [], "removals": [], "runners": [],
    })
}

/// The lines of `text` that mention `family`.
fn lines_of<'t>(text: &'t str, family: &str) -> Vec<&'t str> {
    text.lines().filter(|l| l.contains(family)).collect()
}

/// The metrics of a clean run that planned `plan`.
fn plan_metrics(plan: &crate::plan::Plan) -> String {
    let apis = BTreeMap::new();
    let facts = RunFacts {
        plan: Some(plan),
        ..facts(Exit::Clean, &apis)
    };
    metrics_text(&facts, &Previous::default())
}

#[test]
fn label_values_are_escaped() {
    assert_eq!(labels(&[("pool", "a\"b\\c\nd")]), r#"{pool="a\"b\\c\nd"}"#);
}

#[test]
fn the_last_success_and_held_runs_are_read_back() {
    let apis = BTreeMap::new();
    let first = metrics_text(&facts(Exit::Clean, &apis), &Previous::default());
    let read = previous(&first);
    assert_eq!(read.last_success, Some(1_748_779_200));
    // A failed run keeps the last success; with no plan, held-run counts carry on.
    let mut carried = read;
    carried
        .held_runs
        .insert(r#"{partition="all",kind="rack",pool="r1"}"#.into(), 2);
    let second = metrics_text(&facts(Exit::Held, &apis), &carried);
    assert_eq!(previous(&second), carried);
    assert!(
        second.contains("devicepool_last_run_exit_code{partition=\"all\"} 4\n"),
        "{second}"
    );
}

#[test]
fn a_file_that_is_not_ours_reads_as_nothing() {
    assert_eq!(previous("garbage\n\u{0}\n# HELP x\n"), Previous::default());
}

#[test]
fn each_device_and_runner_pool_names_its_schedule_period_in_effect_or_none() {
    let plan = plan_of(serde_json::json!({
        "device_pools": [{
            "pool": "a55", "task_queue": "proj/q", "status": {"state": "planned"},
            "reason": "r", "starts": [], "devices": [],
            // The label comes from the period's record, whatever the description says.
            "schedule": "reworded: the second period, setting weight=2",
            "schedule_period": {"number": 2, "cron": "* 8-17 * * 1-5", "timezone": "Europe/Berlin"},
        }],
        "runner_pools": [runner_pool("ci", "disabled")],
    }));
    let text = plan_metrics(&plan);
    let family = lines_of(&text, "devicepool_pool_schedule_info");
    assert_eq!(
        family,
        [
            "# HELP devicepool_pool_schedule_info Always 1; the period label names the pool's \
             schedule period in effect when the last run planned (its number, cron and time \
             zone), or none.",
            "# TYPE devicepool_pool_schedule_info gauge",
            r#"devicepool_pool_schedule_info{partition="all",kind="device_pool",pool="a55",period="period 2 (cron \"* 8-17 * * 1-5\" in Europe/Berlin)"} 1"#,
            r#"devicepool_pool_schedule_info{partition="all",kind="runner_pool",pool="ci",period="none"} 1"#,
        ]
    );
}

#[test]
fn a_planned_pool_counts_its_outdated_objects_and_a_disabled_one_has_no_series() {
    let mut rolling = runner_pool("ci", "planned");
    rolling["rollout"] = serde_json::json!({
        "spec": "0123456789ab", "outdated": ["r-1", "r-2"], "replace": 1,
        "state": "rolling", "reason": "max_per_run 1",
    });
    let plan = plan_of(serde_json::json!({
        "runner_pools": [rolling, runner_pool("off", "disabled")],
    }));
    let text = plan_metrics(&plan);
    let samples = lines_of(&text, "devicepool_pool_outdated{");
    assert_eq!(
        samples,
        [r#"devicepool_pool_outdated{partition="all",kind="runner_pool",pool="ci"} 2"#]
    );
}
