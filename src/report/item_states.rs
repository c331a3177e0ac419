//! How many devices, machines and runners each pool, rack and runner pool has in each state
//! the plan gave them (`free`… in the plan's own words: `spare`, `in_flight`, `stale`, …), for
//! `devicepool_pool_items`. Counts only what the plan says; decides nothing.

use std::collections::BTreeMap;

use crate::plan::{Plan, PoolStatus, word_of};
use crate::reconcilers::record::Kind;

/// Per planned entry (kind word, name): its items counted by state word. A held or disabled
/// entry has no items to count and is left out; a device pool in a group counts only its own
/// share of the group's devices (the plan lists only those under it).
pub(super) fn count_item_states(plan: &Plan) -> BTreeMap<(String, String), BTreeMap<String, u64>> {
    let mut out: BTreeMap<(String, String), BTreeMap<String, u64>> = BTreeMap::new();
    let mut count = |kind: Kind, name: &str, status: &PoolStatus, states: Vec<String>| {
        if *status != PoolStatus::Planned {
            return;
        }
        let counts = out.entry((word_of(&kind), name.to_string())).or_default();
        for state in states {
            *counts.entry(state).or_default() += 1;
        }
    };
    for pool in &plan.device_pools {
        let states = pool.devices.iter().map(|d| word_of(&d.state)).collect();
        count(Kind::DevicePool, &pool.pool, &pool.status, states);
    }
    for rack in &plan.racks {
        let states = rack.machines.iter().map(|m| word_of(&m.state)).collect();
        count(Kind::Rack, &rack.rack, &rack.status, states);
    }
    for pool in &plan.runner_pools {
        let states = pool.runners.iter().map(|r| word_of(&r.state)).collect();
        count(Kind::RunnerPool, &pool.pool, &pool.status, states);
    }
    out
}
