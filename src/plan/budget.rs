//! Budgets that span pools: the org-wide headroom and the global action cap are shared out
//! round-robin, and every clipped pool, rack or runner pool says so. Pure.

use super::model::{Bound, DeviceState, MachineState, Plan, RunnerState};

/// Trims the plan to `cap` actions — device starts, rack deploys, runner removals and runner
/// starts — shared round-robin over device pools, then racks, then runner pools (each in name
/// order). Every trimmed entry says in its reason what was clipped and by how much; a clipped
/// device pool's `bound` becomes `max_actions_per_run`.
pub(super) fn apply_global_cap(plan: &mut Plan, cap: u32) {
    let wants: Vec<u32> = plan
        .device_pools
        .iter()
        .map(|p| p.starts.len() as u32)
        .chain(plan.racks.iter().map(|r| r.deploys.len() as u32))
        .chain(
            plan.runner_pools
                .iter()
                .map(|p| (p.removals.len() + p.starts.len()) as u32),
        )
        .collect();
    let grants = share_round_robin(cap, &wants);
    let total: u32 = wants.iter().sum();
    let note = |wanted: u32, kept: u32| {
        format!(
            "; clipped by settings.max_actions_per_run ({cap}, {total} wanted in all): {kept} of {wanted} kept"
        )
    };
    let (pool_grants, rest) = grants.split_at(plan.device_pools.len());
    let (rack_grants, runner_grants) = rest.split_at(plan.racks.len());
    clip_device_pools(plan, pool_grants, &note);
    clip_racks(plan, rack_grants, &note);
    clip_runner_pools(plan, runner_grants, &note);
}

/// Drops the starts past each device pool's grant; their devices become spare.
fn clip_device_pools(plan: &mut Plan, grants: &[u32], note: &dyn Fn(u32, u32) -> String) {
    for (pool, grant) in plan.device_pools.iter_mut().zip(grants) {
        let wanted = pool.starts.len() as u32;
        if *grant >= wanted {
            continue;
        }
        for dropped in pool.starts.split_off(*grant as usize) {
            if let Some(d) = pool.devices.iter_mut().find(|d| d.udid == dropped.udid) {
                d.state = DeviceState::Spare;
            }
        }
        if let Some(n) = pool.numbers.as_mut() {
            n.starts = *grant;
        }
        pool.bound = Some(Bound::MaxActionsPerRun);
        pool.reason.push_str(&note(wanted, *grant));
    }
}

/// Drops the deploys past each rack's grant; their machines become capped.
fn clip_racks(plan: &mut Plan, grants: &[u32], note: &dyn Fn(u32, u32) -> String) {
    for (rack, grant) in plan.racks.iter_mut().zip(grants) {
        let wanted = rack.deploys.len() as u32;
        if *grant >= wanted {
            continue;
        }
        for dropped in rack.deploys.split_off(*grant as usize) {
            if let Some(m) = rack
                .machines
                .iter_mut()
                .find(|m| m.hostname == dropped.agent)
            {
                m.state = MachineState::Capped;
            }
        }
        rack.reason.push_str(&note(wanted, *grant));
    }
}

/// Spends each runner pool's grant on its removals first (in the planner's order), then on its
/// starts — the order apply runs them in. The starts were sized for the room the removals
/// free, so a pool whose removals are clipped starts nothing and never outgrows
/// `max_runners`. Runners whose removal is dropped are kept.
fn clip_runner_pools(plan: &mut Plan, grants: &[u32], note: &dyn Fn(u32, u32) -> String) {
    for (pool, grant) in plan.runner_pools.iter_mut().zip(grants) {
        let (wanted_removals, wanted_starts) = (pool.removals.len(), pool.starts.len());
        let wanted = (wanted_removals + wanted_starts) as u32;
        if *grant >= wanted {
            continue;
        }
        let kept_removals = wanted_removals.min(*grant as usize);
        let kept_starts = *grant as usize - kept_removals;
        for dropped in pool.removals.split_off(kept_removals) {
            let decision = pool
                .runners
                .iter_mut()
                .find(|r| dropped.runner_id == Some(r.id));
            if let Some(decision) = decision {
                decision.state = RunnerState::Kept;
                decision
                    .detail
                    .push_str("; kept by settings.max_actions_per_run");
            }
        }
        pool.starts.truncate(kept_starts);
        if let Some(n) = pool.numbers.as_mut() {
            n.removals = kept_removals as u32;
            n.starts = kept_starts as u32;
        }
        pool.reason.push_str(&note(wanted, *grant));
        pool.reason.push_str(&format!(
            " (removals {kept_removals} of {wanted_removals}, starts {kept_starts} of {wanted_starts})"
        ));
    }
}

/// Hands out `total` one at a time to each still-wanting entry in turn.
pub(super) fn share_round_robin(total: u32, wants: &[u32]) -> Vec<u32> {
    let mut grants = vec![0; wants.len()];
    let mut left = total;
    while left > 0 {
        let mut gave = false;
        for (grant, want) in grants.iter_mut().zip(wants) {
            if left > 0 && *grant < *want {
                *grant += 1;
                left -= 1;
                gave = true;
            }
        }
        if !gave {
            break;
        }
    }
    grants
}
