//! Budgets that span pools: the org-wide headroom and the global action cap are shared out
//! round-robin, and every clipped pool, rack or runner pool says so. Pure.

use super::model::Plan;
use crate::reconcilers::share_round_robin;

/// Trims the plan to `cap` actions — device starts, rack deploys, runner removals and runner
/// starts — shared round-robin over device pools, then racks, then runner pools (each in name
/// order). Every trimmed entry says in its reason what was clipped and by how much; a clipped
/// device pool's `bound` becomes `max_actions_per_run`.
pub(super) fn apply_global_cap(plan: &mut Plan, cap: u32) {
    let wants: Vec<u32> = plan.entries().map(|e| e.action_count() as u32).collect();
    let grants = share_round_robin(cap, &wants);
    let total: u32 = wants.iter().sum();
    for ((entry, wanted), grant) in plan.entries_mut().zip(wants).zip(grants) {
        if grant < wanted {
            let note = format!(
                "; clipped by settings.max_actions_per_run ({cap}, {total} wanted in all): {grant} of {wanted} kept"
            );
            entry.clip(grant, &note);
        }
    }
}

#[cfg(test)]
#[path = "budget_tests.rs"]
mod tests;
