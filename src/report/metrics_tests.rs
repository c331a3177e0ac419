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
    let plan: crate::plan::Plan = serde_json::from_value(serde_json::json!({
        "format": 1, "devicepool": "0", "config_path": "d.yaml", "config_hash": "sha256:0",
        "snapshot_at": "2025-06-01T12:00:00Z", "expires_at": "2025-06-01T12:10:00Z",
        "device_pools": [{
            "pool": "a55", "task_queue": "proj/q", "status": {"state": "planned"},
            "reason": "r", "starts": [], "devices": [],
            "schedule": "schedule period 2 (cron \"* 8-17 * * 1-5\" in Europe/Berlin) sets weight=2",
        }],
        "runner_pools": [{
            "pool": "ci", "status": {"state": "disabled"}, "reason": "r",
            "starts": [], "removals": [], "runners": [],
        }],
    }))
    .expect("a plan");
    let apis = BTreeMap::new();
    let text = metrics_text(
        &RunFacts {
            plan: Some(&plan),
            ..facts(Exit::Clean, &apis)
        },
        &Previous::default(),
    );
    let family: Vec<&str> = (text.lines())
        .filter(|l| l.contains("devicepool_pool_schedule_info"))
        .collect();
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
