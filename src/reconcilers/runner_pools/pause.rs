//! A runner pool's roll-out with `idle_only: false`: outdated busy runners of ours are paused
//! (their running job finishes, they take no new one) and replaced once idle. Pure: it plans
//! pauses only of runners the planner judged ours and busy; it never removes a runner.

use super::model::{RunnerPause, RunnerPoolPlan, RunnerState};
use crate::snapshot::RunnerPoolState;

/// Whether the planner judged a runner busy (too long or not).
fn is_busy(state: RunnerState) -> bool {
    matches!(state, RunnerState::Busy | RunnerState::BusyTooLong)
}

/// The outdated spec of runner `id`'s container against `current`, if it runs one (a
/// container without a spec is an unknown spec, never outdated).
fn outdated_spec<'a>(state: &'a RunnerPoolState, id: u64, current: &str) -> Option<&'a str> {
    let container = state.containers.iter().find(|c| c.runner_id == Some(id))?;
    container.spec.as_deref().filter(|s| *s != current)
}

/// Busy outdated runners of `plan` that an earlier run paused for the roll-out: each still
/// holds a place in `max_per_run` until it is idle and replaced.
pub(super) fn count_in_flight(
    plan: &RunnerPoolPlan,
    state: &RunnerPoolState,
    current: &str,
) -> u32 {
    let paused =
        |id: u64| (state.runners.iter()).any(|r| r.id == id && r.paused && r.paused_for_rollout);
    (plan.runners.iter())
        .filter(|d| is_busy(d.state) && paused(d.id))
        .filter(|d| outdated_spec(state, d.id, current).is_some())
        .count() as u32
}

/// Adds up to `room` pauses to `plan` (lowest runner id first): busy runners of ours, not
/// paused yet, whose container runs a spec other than `current`. The pauses added.
pub(super) fn add_pauses(
    plan: &mut RunnerPoolPlan,
    state: &RunnerPoolState,
    current: &str,
    room: u32,
) -> u32 {
    let mut added = 0;
    for decision in plan.runners.iter_mut() {
        if added == room {
            break;
        }
        let runner = state.runners.iter().find(|r| r.id == decision.id);
        let Some(runner) = runner.filter(|r| !r.paused && is_busy(decision.state)) else {
            continue;
        };
        let Some(old) = outdated_spec(state, runner.id, current) else {
            continue;
        };
        plan.pauses.push(RunnerPause {
            runner_id: runner.id,
            detail: format!(
                "outdated spec {old}, busy: paused for roll-out, replaced once idle (spec {current})"
            ),
            preconditions: vec![format!(
                "runner {} is still ours and runs an outdated spec",
                runner.id
            )],
        });
        decision
            .detail
            .push_str(&format!("; outdated spec {old}: paused for roll-out"));
        added += 1;
    }
    added
}

/// Drops the last pause of `plan`, the runner staying as it is and saying `why`; false when
/// it has none.
pub(super) fn drop_last_pause(plan: &mut RunnerPoolPlan, why: &str) -> bool {
    let Some(pause) = plan.pauses.pop() else {
        return false;
    };
    if let Some(decision) = plan.runners.iter_mut().find(|d| d.id == pause.runner_id) {
        decision.detail.push_str(&format!("; not paused: {why}"));
    }
    true
}

#[cfg(test)]
#[path = "pause_tests.rs"]
mod tests;
