//! What a pool above `max_runners` (a lowered maximum) says about its drain: how many runners
//! stay above the maximum after this plan's removals, and why each kind of them stays (busy,
//! cooling down, held by the removal budget, left alone). Wording only, from plan data; it
//! decides nothing.

use super::model::{RunnerDecision, RunnerNumbers, RunnerState, RunnerThresholds};

/// `None` when the pool is not above `max_runners`; else one clause for the reason, the
/// explanation and `apply --verify`.
pub(crate) fn describe_drain(
    numbers: &RunnerNumbers,
    decisions: &[RunnerDecision],
    thresholds: &RunnerThresholds,
) -> Option<String> {
    if numbers.above_max == 0 {
        return None;
    }
    let count = |states: &[RunnerState]| {
        let of = decisions.iter().filter(|d| states.contains(&d.state));
        of.count()
    };
    let removed = count(&[RunnerState::Remove]) as u32;
    let head = format!(
        "above max_runners {} with {} runners",
        numbers.max_runners, numbers.runners
    );
    let kept = (numbers.runners - removed).saturating_sub(numbers.max_runners);
    if kept == 0 {
        return Some(format!("{head}, draining: {removed} removed now"));
    }
    let why = [
        (
            count(&[RunnerState::Busy, RunnerState::BusyTooLong]),
            "busy".to_string(),
        ),
        (
            count(&[RunnerState::Idle]),
            format!("cooling down (idle_cooldown {})", thresholds.idle_cooldown),
        ),
        (
            count(&[RunnerState::Kept]),
            "held by the removal budget".to_string(),
        ),
        (count(&[RunnerState::LeftAlone]), "left alone".to_string()),
        (
            count(&[RunnerState::Failed]),
            "failed on the new spec (the roll-out's evidence)".to_string(),
        ),
    ];
    let why: Vec<String> = why
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    Some(format!(
        "{head}, draining: {kept} kept because {}; each goes once it is idle past idle_cooldown",
        why.join(", ")
    ))
}
