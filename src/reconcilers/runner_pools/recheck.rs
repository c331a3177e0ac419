//! Re-checking a saved plan's runner-pool actions: a saved start selects the fresh start of the
//! same ordinal (`devicepool-<pool>-<stamp>-<n>`), a saved removal the fresh removal of the same
//! runner and container, a saved roll-out pause the fresh pause of the same runner. Names, tags
//! and container specs always come from the fresh plan. Pure: no clock, no I/O.

use std::collections::BTreeSet;

use jiff::Timestamp;

use super::conventions::{runner_name, runner_prefix};
use super::model::{RunnerPause, RunnerPoolPlan, RunnerRemoval, RunnerStart};
use crate::reconcilers::record::{Action, Kind};
use crate::reconcilers::selection::{
    Drift, LISTED_TWICE, differs, note_selection, orphans, unplanned,
};

/// The fresh starts and removals of `fresh` that the saved entries of the same pool select.
/// `saved_at` and `fresh_at` are the plans' snapshot times, the stamps in their runner names.
pub(crate) fn select_runner_pool(
    (saved_at, fresh_at): (Timestamp, Timestamp),
    saved: &[&RunnerPoolPlan],
    fresh: &RunnerPoolPlan,
    drifted: &mut Vec<Drift>,
) -> (Vec<RunnerStart>, Vec<RunnerRemoval>) {
    let not_planned = unplanned("runner pool", &fresh.status);
    let mut drift = |action: Action, target: String, reason: String| {
        drifted.push(Drift {
            kind: Kind::RunnerPool,
            action,
            pool: fresh.pool.clone(),
            target,
            reason,
        })
    };
    let mut removals: Vec<RunnerRemoval> = Vec::new();
    for removal in saved.iter().flat_map(|p| &p.removals) {
        let fresh_removal = fresh.removals.iter().find(|r| same(r, removal));
        let reason = if let Some(reason) = &not_planned {
            reason.clone()
        } else if removals.iter().any(|r| same(r, removal)) {
            LISTED_TWICE.to_string()
        } else if let Some(now) = fresh_removal {
            removals.push(now.clone());
            continue;
        } else {
            // Why not, as the fresh plan says it of that runner (busy, contacted, kept by a
            // cap); a runner it no longer lists is gone.
            let decision = removal
                .runner_id
                .and_then(|id| fresh.runners.iter().find(|r| r.id == id));
            decision.map_or_else(
                || "no longer to be removed: gone".to_string(),
                |d| format!("no longer to be removed: {}", d.detail),
            )
        };
        drift(removal_action(removal), removal_name(removal), reason);
    }
    // The fresh plan's starts count on its removals; only the selected ones happen, so every
    // other fresh removal of a runner takes one start's room away.
    let not_done = fresh
        .removals
        .iter()
        .filter(|r| r.runner_id.is_some() && !removals.iter().any(|s| same(s, r)))
        .count();
    let room = fresh.starts.len().saturating_sub(not_done);
    let mut ordinals = BTreeSet::new();
    for start in saved.iter().flat_map(|p| &p.starts) {
        let n = ordinal(&start.name, &fresh.pool, saved_at);
        let fresh_start = n.and_then(|n| {
            let name = runner_name(&fresh.pool, fresh_at.as_second(), n);
            fresh.starts.iter().find(|s| s.name == name)
        });
        let reason = match (n, fresh_start) {
            _ if not_planned.is_some() => not_planned.clone().unwrap_or_default(),
            (None, _) => format!(
                "not a runner name devicepool gives: {}{}-<n> expected",
                runner_prefix(&fresh.pool),
                saved_at.as_second()
            ),
            (Some(n), _) if ordinals.contains(&n) => LISTED_TWICE.to_string(),
            (Some(n), _) if n as usize > room => format!("only {room} start(s) still needed"),
            (Some(_), None) => format!("only {room} start(s) still needed"),
            (Some(_), Some(now)) if now.tags != start.tags => {
                differs("tags", &start.tags, &now.tags).unwrap_or_default()
            }
            (Some(_), Some(now))
                if now.container_spec != start.container_spec.replace(&start.name, &now.name) =>
            {
                "the container spec renders differently now (template or desired state changed)"
                    .into()
            }
            (Some(n), Some(_)) => {
                ordinals.insert(n);
                continue;
            }
        };
        drift(Action::StartRunner, start.name.clone(), reason);
    }
    let starts = fresh
        .starts
        .iter()
        .filter(|s| ordinal(&s.name, &fresh.pool, fresh_at).is_some_and(|n| ordinals.contains(&n)))
        .cloned()
        .collect();
    (starts, removals)
}

/// The fresh roll-out pauses of `fresh` that the saved entries of the same pool select: a
/// saved pause selects the fresh pause of the same runner, which the fresh plan makes only of
/// a runner still ours, busy and outdated; any other is drifted with what the fresh plan says
/// of that runner.
fn select_pauses(
    saved: &[&RunnerPoolPlan],
    fresh: &RunnerPoolPlan,
    drifted: &mut Vec<Drift>,
) -> Vec<RunnerPause> {
    let not_planned = unplanned("runner pool", &fresh.status);
    let mut pauses: Vec<RunnerPause> = Vec::new();
    for pause in saved.iter().flat_map(|p| &p.pauses) {
        let id = pause.runner_id;
        let fresh_pause = fresh.pauses.iter().find(|p| p.runner_id == id);
        let reason = if let Some(reason) = &not_planned {
            reason.clone()
        } else if pauses.iter().any(|p| p.runner_id == id) {
            LISTED_TWICE.to_string()
        } else if let Some(now) = fresh_pause {
            pauses.push(now.clone());
            continue;
        } else {
            let decision = fresh.runners.iter().find(|r| r.id == id);
            decision.map_or_else(
                || "no longer to be paused: gone".to_string(),
                |d| format!("no longer to be paused: {}", d.detail),
            )
        };
        drifted.push(Drift {
            kind: Kind::RunnerPool,
            action: Action::PauseRunner,
            pool: fresh.pool.clone(),
            target: pause_name(pause),
            reason,
        });
    }
    pauses
}

/// A roll-out pause as the report names it: `runner <id>`.
pub(crate) fn pause_name(pause: &RunnerPause) -> String {
    format!("runner {}", pause.runner_id)
}

/// A removal as the report names it: `runner <id>`, or the orphan container's id.
pub(crate) fn removal_name(removal: &RunnerRemoval) -> String {
    removal.runner_id.map_or_else(
        || removal.container_id.clone().unwrap_or_default(),
        |id| format!("runner {id}"),
    )
}

/// What a removal does: remove a runner (and its container), or an orphan container.
pub(crate) fn removal_action(removal: &RunnerRemoval) -> Action {
    match removal.runner_id {
        Some(_) => Action::RemoveRunner,
        None => Action::RemoveContainer,
    }
}

/// Two removals of the same runner and container.
fn same(a: &RunnerRemoval, b: &RunnerRemoval) -> bool {
    a.runner_id == b.runner_id && a.container_id == b.container_id
}

/// `n` of a runner named `devicepool-<pool>-<stamp of at>-<n>`, `n` ≥ 1; `None` for any
/// other name.
fn ordinal(name: &str, pool: &str, at: Timestamp) -> Option<u32> {
    let rest = name
        .strip_prefix(&runner_prefix(pool))?
        .strip_prefix(&at.as_second().to_string())?
        .strip_prefix('-')?;
    let n: u32 = rest.parse().ok()?;
    (n >= 1 && rest == n.to_string()).then_some(n)
}

/// Cuts every fresh runner pool in `kept` down to the starts and removals `saved` selects;
/// every other saved action, including those of pools no longer desired, is drifted.
/// `saved_at` and `fresh_at` are the two plans' snapshot times, the stamps in their runner
/// names.
pub(crate) fn recheck_all(
    (saved, saved_at): (&[RunnerPoolPlan], Timestamp),
    (fresh, fresh_at): (&[RunnerPoolPlan], Timestamp),
    kept: &mut [RunnerPoolPlan],
    drifted: &mut Vec<Drift>,
) {
    for pool in kept.iter_mut() {
        let entries: Vec<&RunnerPoolPlan> = saved.iter().filter(|s| s.pool == pool.pool).collect();
        let (starts, removals) = select_runner_pool((saved_at, fresh_at), &entries, pool, drifted);
        let pauses = select_pauses(&entries, pool, drifted);
        let fresh_count = pool.starts.len() + pool.removals.len() + pool.pauses.len();
        let selected = starts.len() + removals.len() + pauses.len();
        note_selection(&mut pool.reason, fresh_count, selected);
        pool.starts = starts;
        pool.removals = removals;
        pool.pauses = pauses;
        let why = "its replacement start was not selected from the saved plan";
        for id in super::replace::unpair(pool, why) {
            drifted.push(Drift {
                kind: Kind::RunnerPool,
                action: Action::RemoveRunner,
                pool: pool.pool.clone(),
                target: format!("runner {id}"),
                reason: format!("outdated, but {why}"),
            });
        }
    }
    let runner_actions = saved.iter().map(|p| {
        let starts = p
            .starts
            .iter()
            .map(|s| (Action::StartRunner, s.name.clone()));
        let removals = p
            .removals
            .iter()
            .map(|r| (removal_action(r), removal_name(r)));
        let pauses = (p.pauses.iter()).map(|r| (Action::PauseRunner, pause_name(r)));
        (&p.pool, starts.chain(removals).chain(pauses).collect())
    });
    let fresh_pools = fresh.iter().map(|p| &p.pool);
    drifted.extend(orphans(runner_actions, fresh_pools, Kind::RunnerPool));
}
