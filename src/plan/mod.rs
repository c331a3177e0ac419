//! PLAN: the pure planner. `plan` turns (desired state, snapshot, now) into a `Plan`; it
//! reads no clock, does no I/O and orders everything deterministically.

mod budget;
pub mod model;
mod preview;
pub(crate) mod recheck;

use jiff::SignedDuration;

use crate::load::Desired;
use crate::reconcilers::rollout::RolloutState;
use crate::snapshot::Snapshot;
pub use model::*;
pub use preview::preview;
pub use recheck::{Drift, Recheck, recheck};

/// Where the desired state came from, recorded in the plan.
#[derive(Debug, Clone)]
pub struct Origin {
    pub config_path: String,
    pub config_hash: String,
}

/// Computes the plan: each kind plans its own entries in name order (`reconcilers/<kind>/
/// rules.rs`), then `settings.max_actions_per_run` is shared out over all of them.
pub fn plan(desired: &Desired, snapshot: &Snapshot, origin: &Origin) -> Plan {
    let now = snapshot.taken_at;
    let mut plan = Plan {
        format: PLAN_FORMAT,
        devicepool: env!("CARGO_PKG_VERSION").to_string(),
        config_path: origin.config_path.clone(),
        config_hash: origin.config_hash.clone(),
        snapshot_at: now,
        expires_at: SignedDuration::try_from(desired.settings.plan_lifetime)
            .ok()
            .and_then(|lifetime| now.checked_add(lifetime).ok())
            .unwrap_or(now),
        ..Plan::default()
    };
    crate::reconcilers::plan_every_kind(desired, snapshot, &mut plan);
    if let Some(cap) = desired.settings.max_actions_per_run {
        budget::apply_global_cap(&mut plan, cap);
        plan.mark_group_starts();
    }
    plan
}

impl Plan {
    /// Total actions: jobs to start, machines to deploy, runners to start or remove.
    pub fn action_count(&self) -> usize {
        self.entries().map(KindPlan::action_count).sum()
    }

    /// Shows a shared device as started in its group's list exactly while a pool of the
    /// group starts a job on it (after starts were clipped or dropped).
    pub fn mark_group_starts(&mut self) {
        let pools = &self.device_pools;
        crate::reconcilers::device_pools::rules::mark_group_starts(&mut self.device_groups, pools);
    }

    /// Writes down every entry's explanation, as it stands now (after rendering, which may
    /// hold an entry).
    pub fn explain_entries(&mut self) {
        self.explanations = self
            .entries()
            .map(|e| Explanation {
                kind: e.kind(),
                name: e.name().to_string(),
                lines: explain_with_rollout(e),
            })
            .collect();
    }

    /// Names and reasons of everything held.
    pub fn held(&self) -> Vec<(String, String)> {
        self.entries()
            .filter(|e| matches!(e.status(), PoolStatus::Held { .. }))
            .map(|e| (e.name().to_string(), e.reason().to_string()))
            .collect()
    }
}

/// An entry's explanation, then its roll-out when something runs an outdated spec.
pub(crate) fn explain_with_rollout(entry: &dyn KindPlan) -> Vec<String> {
    let mut lines = entry.explain();
    if let Some(rollout) = entry
        .rollout()
        .filter(|r| r.state != RolloutState::Converged)
    {
        lines.push(format!("roll-out: {}", rollout.line()));
    }
    lines
}

#[cfg(test)]
mod tests;
