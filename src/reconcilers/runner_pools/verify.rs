//! What `apply --verify` checks of runner pools on the fleet read back: no pool this run
//! started runners for has more runners of ours than its `max_runners`, beyond the removals
//! of this run that did not happen (said as a note: a kept removal was counted on). A pool above it that
//! this run started nothing for is draining a lowered maximum: said as a note, with why its
//! runners stay (the planner's own decisions on the read-back data), never broken. Pure; a
//! pool whose data could not be read is not judged.

use super::drain::describe_drain;
use super::placement::plan_on_hosts;
use crate::load::Desired;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::record::{Action, ActionRecord, Broken, Kind, Outcome, VerifyNote};
use crate::snapshot::Snapshot;

/// Every enabled runner pool above `max_runners`: broken when this run (`actions`) started
/// runners for it, else a draining note.
pub(crate) fn verify(
    desired: &Desired,
    snapshot: &Snapshot,
    actions: &[ActionRecord],
) -> (Vec<Broken>, Vec<VerifyNote>) {
    let keyed = Ownership::of(desired).keyed();
    let (mut broken, mut notes) = (Vec::new(), Vec::new());
    for (name, pool) in desired.runner_pools.iter().filter(|(_, p)| !p.disabled) {
        let Some(Ok(state)) = snapshot.runner_pools.get(name) else {
            continue;
        };
        let runners = state.runners.len() as u32;
        if runners <= pool.max_runners {
            continue;
        }
        let of_pool = || (actions.iter()).filter(|a| a.kind == Kind::RunnerPool && a.pool == *name);
        let started = of_pool()
            .filter(|a| a.action == Action::StartRunner && a.outcome == Outcome::Done)
            .count();
        // A removal the starts counted on (a roll-out's pair, room under the maximum) that
        // did not happen, kept because a job landed or failed: above by that many is said,
        // not broken; the next run removes the runner once it is idle.
        let not_removed = of_pool()
            .filter(|a| a.action == Action::RemoveRunner)
            .filter(|a| matches!(a.outcome, Outcome::Kept | Outcome::Failed))
            .count();
        let above = (runners - pool.max_runners) as usize;
        if started > 0 && above <= not_removed {
            notes.push(VerifyNote {
                kind: Kind::RunnerPool,
                pool: name.clone(),
                note: format!(
                    "{runners} runners of ours, above max_runners {}, after this run started {started} and kept {not_removed} removal(s) it counted on (see the kept or failed removals above); the next run removes them once idle",
                    pool.max_runners
                ),
            });
            continue;
        }
        if started > 0 {
            broken.push(Broken {
                kind: Kind::RunnerPool,
                pool: name.clone(),
                problem: format!(
                    "{runners} runners of ours, above max_runners {}, after this run started {started}",
                    pool.max_runners
                ),
            });
            continue;
        }
        // Placed as the run planned it: runners a silent host holds are not read as gone.
        let plan = plan_on_hosts(name, pool, state, (keyed, snapshot.taken_at));
        let (Some(numbers), Some(thresholds)) = (plan.numbers, &plan.thresholds) else {
            continue;
        };
        if let Some(note) = describe_drain(&numbers, &plan.runners, thresholds) {
            notes.push(VerifyNote {
                kind: Kind::RunnerPool,
                pool: name.clone(),
                note,
            });
        }
    }
    (broken, notes)
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
