//! Roll-out pause tests (`idle_only: false`): an outdated busy runner is paused within
//! `max_per_run`, never removed while busy; once idle (paused with the roll-out's note) it is
//! replaced first; a saved pause is re-checked against the fresh plan. Small builders; no I/O.

use super::super::replace::tests::{NEW, OLD, fleet, on, pool, replaced};
use super::super::rules::tests::{now, run};
use crate::plan::*;
use crate::reconcilers::KindPlan;

fn paused_ids(p: &RunnerPoolPlan) -> Vec<u64> {
    p.pauses.iter().map(|p| p.runner_id).collect()
}

/// A runner `on` a spec, paused earlier by a roll-out.
fn paused_on(
    id: u64,
    spec: &str,
    busy: bool,
) -> (crate::snapshot::RunnerView, crate::snapshot::ContainerView) {
    let (mut r, c) = on(id, Some(spec), busy);
    (r.paused, r.paused_for_rollout) = (true, true);
    (r, c)
}

#[test]
fn idle_only_false_is_accepted_for_runner_pools() {
    let d = pool("    rollout: {idle_only: false}\n");
    assert!(!d.runner_pools["autogit"].rollout.idle_only);
}

#[test]
fn an_outdated_busy_runner_is_paused_not_removed_with_idle_only_false() {
    let d = pool("    rollout: {idle_only: false}\n");
    let p = run(
        &d,
        fleet(vec![on(1, Some(OLD), true), on(2, Some(NEW), true)]),
    );
    assert_eq!(paused_ids(&p), vec![1]);
    assert!(p.removals.is_empty(), "{p:#?}");
    assert_eq!(p.action_count(), 1 + p.starts.len());
    let rollout = p.rollout.unwrap();
    assert_eq!(rollout.replace, 0);
    assert!(
        rollout.reason.contains("pausing 1 busy outdated"),
        "{}",
        rollout.reason
    );
}

#[test]
fn with_idle_only_true_a_busy_outdated_runner_is_neither_paused_nor_removed() {
    let d = pool("");
    let p = run(&d, fleet(vec![on(1, Some(OLD), true)]));
    assert!(p.pauses.is_empty() && p.removals.is_empty(), "{p:#?}");
    assert_eq!(p.rollout.unwrap().replace, 0);
}

#[test]
fn idle_outdated_runners_are_replaced_and_busy_ones_paused_in_one_max_per_run() {
    let d = pool("    rollout: {idle_only: false, max_per_run: 2}\n");
    let runners = vec![
        on(1, Some(OLD), true),
        on(2, Some(OLD), false),
        on(3, Some(OLD), true),
    ];
    let p = run(&d, fleet(runners));
    assert_eq!(replaced(&p), vec![(2, Some(2))]);
    assert_eq!(paused_ids(&p), vec![1]);
}

#[test]
fn a_runner_paused_for_roll_out_once_idle_is_replaced_first_not_left_alone() {
    let d = pool("    rollout: {idle_only: false}\n");
    let p = run(
        &d,
        fleet(vec![on(1, Some(OLD), false), paused_on(2, OLD, false)]),
    );
    assert_eq!(replaced(&p), vec![(2, Some(2))]);
    assert!(p.pauses.is_empty());
    let n = p.numbers.unwrap();
    assert_eq!(n.left_alone, 0);
}

#[test]
fn a_runner_paused_for_roll_out_still_busy_holds_its_place_in_max_per_run() {
    let d = pool("    rollout: {idle_only: false}\n");
    let p = run(
        &d,
        fleet(vec![paused_on(1, OLD, true), on(2, Some(OLD), true)]),
    );
    assert!(p.pauses.is_empty() && p.removals.is_empty(), "{p:#?}");
    let reason = p.rollout.unwrap().reason;
    assert!(reason.contains("1 paused earlier still busy"), "{reason}");
}

#[test]
fn a_runner_paused_for_roll_out_still_busy_holds_its_place_against_idle_ones_too() {
    let d = pool("    rollout: {idle_only: false}\n");
    let p = run(
        &d,
        fleet(vec![paused_on(1, OLD, true), on(2, Some(OLD), false)]),
    );
    assert!(replaced(&p).is_empty() && p.pauses.is_empty(), "{p:#?}");
    let two = pool("    rollout: {idle_only: false, max_per_run: 2}\n");
    let p = run(
        &two,
        fleet(vec![paused_on(1, OLD, true), on(2, Some(OLD), false)]),
    );
    assert_eq!(replaced(&p), vec![(2, Some(2))]);
}

#[test]
fn a_runner_paused_for_roll_out_whose_spec_is_current_again_is_removed_once_idle() {
    let d = pool("    rollout: {idle_only: false}\n");
    let p = run(&d, fleet(vec![paused_on(1, NEW, false)]));
    assert_eq!(p.removals.len(), 1, "{p:#?}");
    assert_eq!(p.removals[0].runner_id, Some(1));
    let busy = run(&d, fleet(vec![paused_on(1, NEW, true)]));
    assert!(busy.removals.is_empty() && busy.pauses.is_empty());
}

#[test]
fn the_action_cap_cuts_pauses_first() {
    let d = pool("    rollout: {idle_only: false}\n");
    let mut p = run(&d, fleet(vec![on(1, Some(OLD), true)]));
    assert_eq!(p.pauses.len(), 1);
    p.clip(0, "; capped");
    assert!(p.pauses.is_empty());
    assert!(
        p.reason.contains("1 roll-out pause(s) dropped"),
        "{}",
        p.reason
    );
    let runner = p.runners.iter().find(|r| r.id == 1).unwrap();
    assert!(runner.detail.contains("not paused"), "{}", runner.detail);
}

#[test]
fn a_saved_pause_of_a_runner_now_idle_is_drifted_not_sent() {
    let d = pool("    rollout: {idle_only: false}\n");
    let wrap = |p: RunnerPoolPlan| Plan {
        snapshot_at: now(),
        runner_pools: vec![p],
        ..Plan::default()
    };
    let saved = wrap(run(&d, fleet(vec![on(1, Some(OLD), true)])));
    let same = crate::plan::recheck(&saved, &saved.clone());
    assert_eq!(paused_ids(&same.kept.runner_pools[0]), vec![1]);
    let mut idle = on(1, Some(OLD), false);
    idle.0.last_finished_at = super::super::rules::tests::ago(60);
    let fresh = wrap(run(&d, fleet(vec![idle])));
    let checked = crate::plan::recheck(&saved, &fresh);
    assert!(checked.kept.runner_pools[0].pauses.is_empty());
    let drift = checked.drifted.iter().find(|d| d.target == "runner 1");
    let reason = drift.map(|d| d.reason.as_str()).unwrap_or_default();
    assert!(reason.starts_with("no longer to be paused"), "{checked:#?}");
}
