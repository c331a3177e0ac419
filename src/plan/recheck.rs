//! Re-checking a saved plan: the fresh plan cut down to the actions the saved plan selected.
//! The saved plan only selects, by (kind, pool, device / agent / runner); every value an
//! action sends (labels, tags, names, job files, container specs) comes from the fresh plan,
//! so an edited plan file can never make devicepool act beyond what the desired state allows.
//! Pure: two plans in, a verdict out.

use std::collections::BTreeSet;

use super::model::{Plan, RunnerPoolPlan};
use crate::reconcilers::record::{Action, Kind};
use crate::reconcilers::runner_pools::recheck::{removal_action, removal_name, select_runner_pool};
pub use crate::reconcilers::selection::Drift;
use crate::reconcilers::{device_pools, racks};

/// What a re-check leaves: the fresh plan holding only the selected actions that still hold,
/// and why each other saved action will not run.
#[derive(Debug, Clone, PartialEq)]
pub struct Recheck {
    /// The fresh plan with only the kept actions: exactly what the apply carries out.
    pub kept: Plan,
    /// Saved actions that will not run, pool by pool.
    pub drifted: Vec<Drift>,
}

/// Keeps the actions of `fresh` that `saved` selects and whose sent values it shows unchanged.
/// Re-checking a plan against itself keeps all of it.
pub fn recheck(saved: &Plan, fresh: &Plan) -> Recheck {
    let mut kept = fresh.clone();
    let mut drifted = Vec::new();
    for pool in &mut kept.device_pools {
        let starts = device_pools::recheck::select(saved, pool, &mut drifted);
        note_selection(&mut pool.reason, pool.starts.len(), starts.len());
        pool.starts = starts;
    }
    let starts = saved.device_pools.iter().map(|p| {
        let udids = p.starts.iter().map(|s| (Action::StartJob, s.udid.clone()));
        (&p.pool, udids.collect())
    });
    let fresh_pools = fresh.device_pools.iter().map(|p| &p.pool);
    drifted.extend(orphans(starts, fresh_pools, Kind::DevicePool));
    for rack in &mut kept.racks {
        let deploys = racks::recheck::select(saved, rack, &mut drifted);
        note_selection(&mut rack.reason, rack.deploys.len(), deploys.len());
        rack.deploys = deploys;
    }
    let deploys = saved.racks.iter().map(|r| {
        let agents = r.deploys.iter().map(|d| (Action::Deploy, d.agent.clone()));
        (&r.rack, agents.collect())
    });
    drifted.extend(orphans(
        deploys,
        fresh.racks.iter().map(|r| &r.rack),
        Kind::Rack,
    ));
    for pool in &mut kept.runner_pools {
        let entries: Vec<&RunnerPoolPlan> = saved
            .runner_pools
            .iter()
            .filter(|s| s.pool == pool.pool)
            .collect();
        let (starts, removals) = select_runner_pool(
            (saved.snapshot_at, fresh.snapshot_at),
            &entries,
            pool,
            &mut drifted,
        );
        let fresh_count = pool.starts.len() + pool.removals.len();
        note_selection(&mut pool.reason, fresh_count, starts.len() + removals.len());
        pool.starts = starts;
        pool.removals = removals;
    }
    let runner_actions = saved.runner_pools.iter().map(|p| {
        let starts = p
            .starts
            .iter()
            .map(|s| (Action::StartRunner, s.name.clone()));
        let removals = p
            .removals
            .iter()
            .map(|r| (removal_action(r), removal_name(r)));
        (&p.pool, starts.chain(removals).collect())
    });
    let fresh_pools = fresh.runner_pools.iter().map(|p| &p.pool);
    drifted.extend(orphans(runner_actions, fresh_pools, Kind::RunnerPool));
    Recheck { kept, drifted }
}

/// Adds to a fresh reason how many of its actions the saved plan kept, when not all.
fn note_selection(reason: &mut String, fresh: usize, kept: usize) {
    if kept != fresh {
        reason.push_str(&format!(
            "; the saved plan keeps {kept} of these {fresh} action(s)"
        ));
    }
}

/// Saved actions, by pool, of pools the fresh plan does not have at all.
fn orphans<'a>(
    saved: impl Iterator<Item = (&'a String, Vec<(Action, String)>)>,
    fresh: impl Iterator<Item = &'a String>,
    kind: Kind,
) -> Vec<Drift> {
    let named = match kind {
        Kind::DevicePool => "pool",
        Kind::Rack => "rack",
        Kind::RunnerPool => "runner pool",
    };
    let known: BTreeSet<&String> = fresh.collect();
    saved
        .filter(|(pool, _)| !known.contains(pool))
        .flat_map(|(pool, actions)| {
            actions.into_iter().map(move |(action, what)| Drift {
                kind,
                action,
                pool: pool.clone(),
                what,
                reason: format!("{named} no longer in the desired state"),
            })
        })
        .collect()
}
