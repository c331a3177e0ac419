//! Runner-pool roll-out tests: outdated runners found by their container's spec label,
//! replaced in pairs (start new, remove old) within `max_per_run` and the pool's budgets,
//! never busy, never a removal without its start. Small builders; no I/O.

use super::super::rules::tests::runner as runner_view;
use super::super::rules::tests::{container, desired, run};
use super::unpair;
use crate::load::Desired;
use crate::plan::*;
use crate::reconcilers::rollout::RolloutState;
use crate::snapshot::{ContainerView, RunnerPoolState, RunnerView};

pub(in crate::reconcilers::runner_pools) const NEW: &str = "aaaaaaaaaaaa";
pub(in crate::reconcilers::runner_pools) const OLD: &str = "bbbbbbbbbbbb";

/// The lab's pool with `extra` keys, its spec rendering to `NEW`.
pub(in crate::reconcilers::runner_pools) fn pool(extra: &str) -> Desired {
    let mut d = desired(extra);
    d.runner_pools.get_mut("autogit").unwrap().spec = Some(NEW.to_string());
    d
}

/// A runner of ours, online, idle a minute (within the cooldown) or busy, its container on `spec`.
pub(in crate::reconcilers::runner_pools) fn on(
    id: u64,
    spec: Option<&str>,
    busy: bool,
) -> (RunnerView, ContainerView) {
    let runner = runner_view(id, "online", u32::from(busy), Some(1));
    let mut c = container(id, "running");
    c.spec = spec.map(str::to_string);
    (runner, c)
}

pub(in crate::reconcilers::runner_pools) fn fleet(
    runners: Vec<(RunnerView, ContainerView)>,
) -> RunnerPoolState {
    let (runners, containers) = runners.into_iter().unzip();
    RunnerPoolState {
        runners,
        containers,
        ..Default::default()
    }
}

pub(in crate::reconcilers::runner_pools) fn replaced(
    p: &RunnerPoolPlan,
) -> Vec<(u64, Option<u64>)> {
    let removed = |id: u64| {
        (p.removals.iter())
            .find(|r| r.runner_id == Some(id) && r.why == RemovalReason::Outdated)
            .and_then(|r| r.runner_id)
    };
    let pairs = p.starts.iter().filter_map(|s| s.replaces);
    pairs.map(|id| (id, removed(id))).collect()
}

#[test]
fn ten_outdated_idle_runners_are_replaced_max_per_run_at_a_time_in_pairs() {
    let d = pool("    max_runners: 10\n    rollout: {max_per_run: 2}\n");
    let p = run(
        &d,
        fleet((1..=10).map(|id| on(id, Some(OLD), false)).collect()),
    );
    let rollout = p.rollout.clone().unwrap();
    assert_eq!(rollout.spec, NEW);
    assert_eq!(rollout.outdated.len(), 10);
    assert_eq!((rollout.replace, rollout.state), (2, RolloutState::Rolling));
    assert_eq!(replaced(&p), vec![(1, Some(1)), (2, Some(2))]);
    assert_eq!((p.starts.len(), p.removals.len()), (2, 2));
    assert!(p.reason.contains("replacing 2 outdated"), "{}", p.reason);
}

#[test]
fn a_busy_outdated_runner_is_never_replaced() {
    let d = pool("    rollout: {max_per_run: 5}\n");
    let p = run(
        &d,
        fleet(vec![
            on(1, Some(OLD), true),
            on(2, Some(OLD), true),
            on(3, Some(OLD), false),
        ]),
    );
    let rollout = p.rollout.clone().unwrap();
    assert_eq!(rollout.outdated.len(), 3);
    assert_eq!(rollout.replace, 1);
    assert_eq!(replaced(&p), vec![(3, Some(3))]);
    let all_busy = run(&d, fleet(vec![on(1, Some(OLD), true)]));
    assert!(all_busy.removals.is_empty() && all_busy.starts.is_empty());
    assert_eq!(all_busy.rollout.unwrap().state, RolloutState::Waiting);
}

#[test]
fn a_container_without_a_spec_label_is_an_unknown_spec_not_outdated() {
    let d = pool("    rollout: {max_per_run: 5}\n");
    let p = run(&d, fleet(vec![on(1, None, false), on(2, Some(NEW), false)]));
    let rollout = p.rollout.unwrap();
    assert!(rollout.outdated.is_empty());
    assert_eq!(rollout.state, RolloutState::Converged);
    assert!(p.starts.is_empty() && p.removals.is_empty());
}

#[test]
fn the_start_budget_bounds_the_pairs_and_the_reason_says_so() {
    let d = pool("    max_starts_per_run: 1\n    rollout: {max_per_run: 3}\n");
    let p = run(
        &d,
        fleet((1..=4).map(|id| on(id, Some(OLD), false)).collect()),
    );
    assert_eq!(replaced(&p), vec![(1, Some(1))]);
    let rollout = p.rollout.unwrap();
    assert_eq!(rollout.replace, 1);
    assert!(
        rollout.reason.contains("1 of 3 within"),
        "{}",
        rollout.reason
    );
}

#[test]
fn the_global_action_cap_drops_whole_pairs_never_a_removal_alone() {
    let mut d = pool("    rollout: {max_per_run: 3}\n");
    d.settings.max_actions_per_run = Some(3);
    let p = run(
        &d,
        fleet((1..=4).map(|id| on(id, Some(OLD), false)).collect()),
    );
    assert_eq!(replaced(&p), vec![(1, Some(1))]);
    assert_eq!((p.starts.len(), p.removals.len()), (1, 1));
    assert!(
        p.reason.contains("replacement pair(s) dropped"),
        "{}",
        p.reason
    );
    assert_eq!(p.rollout.unwrap().replace, 1);
}

#[test]
fn a_failing_new_spec_pauses_the_roll_out() {
    let d = pool("    rollout: {max_per_run: 5}\n");
    let (r, mut c) = on(1, Some(NEW), false);
    c.state = "exited".into();
    let p = run(
        &d,
        fleet(vec![
            (r, c),
            on(2, Some(OLD), false),
            on(3, Some(OLD), false),
        ]),
    );
    let rollout = p.rollout.unwrap();
    assert_eq!((rollout.state, rollout.replace), (RolloutState::Paused, 0));
    assert!(p.starts.iter().all(|s| s.replaces.is_none()));
}

#[test]
fn a_canary_fraction_goes_first_and_the_rest_wait_until_it_contacted_gitlab() {
    let d = pool("    rollout: {max_per_run: 5, canary: {fraction: 0.2}}\n");
    let p = run(
        &d,
        fleet((1..=10).map(|id| on(id, Some(OLD), false)).collect()),
    );
    let rollout = p.rollout.unwrap();
    assert_eq!((rollout.state, rollout.replace), (RolloutState::Canary, 2));
    let (mut r, c) = on(11, Some(NEW), false);
    r.contacted_at = None;
    let mut runners: Vec<_> = (3..=10).map(|id| on(id, Some(OLD), false)).collect();
    runners.push((r, c));
    runners.push(on(12, Some(NEW), false));
    let waiting = run(&d, fleet(runners)).rollout.unwrap();
    assert_eq!((waiting.state, waiting.replace), (RolloutState::Waiting, 0));
}

#[test]
fn an_outdated_removal_whose_start_is_gone_is_dropped_and_the_runner_kept() {
    let d = pool("    rollout: {max_per_run: 2}\n");
    let mut p = run(
        &d,
        fleet((1..=3).map(|id| on(id, Some(OLD), false)).collect()),
    );
    p.starts.retain(|s| s.replaces != Some(2));
    assert_eq!(unpair(&mut p, "test"), vec![2]);
    assert_eq!(replaced(&p), vec![(1, Some(1))]);
    assert!(p.removals.iter().all(|r| r.runner_id != Some(2)));
    let kept = p.runners.iter().find(|r| r.id == 2).unwrap();
    assert_eq!(kept.state, RunnerState::Kept);
}

#[test]
fn a_saved_outdated_removal_without_its_saved_start_is_drifted_and_the_runner_kept() {
    let d = pool("    rollout: {max_per_run: 2}\n");
    let wrap = |p: RunnerPoolPlan| Plan {
        snapshot_at: super::super::rules::tests::now(),
        runner_pools: vec![p],
        ..Plan::default()
    };
    let fresh = wrap(run(
        &d,
        fleet((1..=3).map(|id| on(id, Some(OLD), false)).collect()),
    ));
    let mut saved = fresh.clone();
    saved.runner_pools[0]
        .starts
        .retain(|s| s.replaces != Some(2));
    let checked = crate::plan::recheck(&saved, &fresh);
    let kept = &checked.kept.runner_pools[0];
    assert_eq!(replaced(kept), vec![(1, Some(1))]);
    assert!(kept.removals.iter().all(|r| r.runner_id != Some(2)));
    let drift = checked.drifted.iter().find(|d| d.target == "runner 2");
    let reason = drift.map(|d| d.reason.as_str()).unwrap_or_default();
    assert!(
        reason.contains("its replacement start was not selected"),
        "{checked:#?}"
    );
}

/// Runners 1 and 2 idle on `old`, runner 3's container on the new spec exited two hours ago.
fn one_exited_new(old: &str) -> RunnerPoolState {
    let mut exited = on(3, Some(NEW), false);
    exited.1.state = "exited".into();
    exited.0.status = "offline".into();
    exited.0.contacted_at = super::super::rules::tests::ago(120);
    fleet(vec![
        on(1, Some(old), false),
        on(2, Some(old), false),
        exited,
    ])
}

fn removed_ids(p: &RunnerPoolPlan) -> Vec<u64> {
    p.removals.iter().filter_map(|r| r.runner_id).collect()
}

#[test]
fn a_failed_new_runner_is_kept_as_evidence_while_the_roll_out_lasts_and_pauses_it() {
    let d = pool("    max_runners: 10\n    rollout: {max_per_run: 2}\n");
    let p = run(&d, one_exited_new(OLD));
    let failed = p.runners.iter().find(|r| r.id == 3).unwrap();
    assert_eq!(failed.state, RunnerState::Failed, "{}", failed.detail);
    assert!(failed.detail.contains("kept as the roll-out's evidence"));
    assert!(removed_ids(&p).is_empty(), "{:?}", p.removals);
    assert_eq!(p.numbers.unwrap().failed, 1);
    assert_eq!(p.rollout.unwrap().state, RolloutState::Paused);
    assert!(
        p.reason.contains("1 failed on the new spec"),
        "{}",
        p.reason
    );
}

#[test]
fn a_crashed_runner_goes_as_always_once_converged_or_without_pause_on_failures() {
    let converged = pool("    max_runners: 10\n");
    let p = run(&converged, one_exited_new(NEW));
    assert_eq!(removed_ids(&p), [3]);
    assert_eq!(p.numbers.unwrap().failed, 0);
    let no_pause = pool("    max_runners: 10\n    rollout: {pause_on_failures: false}\n");
    let p = run(&no_pause, one_exited_new(OLD));
    assert!(removed_ids(&p).contains(&3), "{:?} {}", p.runners, p.reason);
}
