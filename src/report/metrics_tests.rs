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
