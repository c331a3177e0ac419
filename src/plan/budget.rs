//! Budgets that span pools: the org-wide headroom and the global action cap are shared out
//! round-robin, and every clipped pool or rack says so. Pure.

use super::model::{DeviceState, MachineState, Plan};

/// Trims the plan to `cap` actions, shared round-robin over pools then racks (name order);
/// every trimmed pool or rack says so in its reason.
pub(super) fn apply_global_cap(plan: &mut Plan, cap: u32) {
    let wants: Vec<u32> = plan
        .device_pools
        .iter()
        .map(|p| p.starts.len() as u32)
        .chain(plan.racks.iter().map(|r| r.deploys.len() as u32))
        .collect();
    let grants = share_round_robin(cap, &wants);
    let total: u32 = wants.iter().sum();
    let note = |wanted: u32, kept: u32| {
        format!(
            "; clipped by settings.max_actions_per_run ({cap}, {total} wanted in all): {kept} of {wanted} kept"
        )
    };
    let (pool_grants, rack_grants) = grants.split_at(plan.device_pools.len());
    for (pool, grant) in plan.device_pools.iter_mut().zip(pool_grants) {
        let wanted = pool.starts.len() as u32;
        if *grant < wanted {
            for dropped in pool.starts.split_off(*grant as usize) {
                if let Some(d) = pool.devices.iter_mut().find(|d| d.udid == dropped.udid) {
                    d.state = DeviceState::Spare;
                }
            }
            if let Some(n) = pool.numbers.as_mut() {
                n.starts = *grant;
            }
            pool.reason.push_str(&note(wanted, *grant));
        }
    }
    for (rack, grant) in plan.racks.iter_mut().zip(rack_grants) {
        let wanted = rack.deploys.len() as u32;
        if *grant < wanted {
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
