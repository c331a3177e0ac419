//! How a shared device group's free devices are shared out between its planned pools (judged
//! once for the group, then split by its `allocation`), and the group's device list kept in
//! step with the pools' starts. Pure: no I/O, no clock. It fixes no pool's starts: `rules`
//! does, once the org-wide headroom is shared out.

use std::collections::{BTreeMap, BTreeSet};

use super::allocation::{Claim, allocate, explain_grant};
use super::conventions::job_pool;
use super::fleet::Fleet;
use super::group::DeviceGroup;
use super::membership::Owner;
use super::model::{
    DeviceDecision, DeviceGroupPlan, DevicePoolPlan, DeviceState, GroupShare, PoolNumbers,
};
use super::rules::{Assessment, Ready, empty_plan, pool_numbers};
use crate::reconcilers::PoolStatus;
use crate::snapshot::QueueState;

/// Works out every planned pool of `group`: the group's devices are judged once (a device
/// quarantined in any member's queue is quarantined), then shared out by the allocation, in
/// least-recently-used order, to the pools in name order. Each pool lists only its share; the
/// group's plan lists every device once.
pub(super) fn assess_group(
    config: &DeviceGroup,
    fleet: &Fleet<'_>,
    group: &str,
    members: &[Ready<'_>],
) -> (Vec<Assessment>, DeviceGroupPlan) {
    let queues: Vec<&QueueState> = members.iter().map(|m| m.2).collect();
    let owner = Owner::Group(group.to_string());
    let cooldown = (config.failures_before_cooldown, config.failure_cooldown);
    let mut group_numbers = PoolNumbers::default();
    let (devices, free) = fleet.judge_all(&owner, &queues, cooldown, &mut group_numbers);
    let mut claims = Vec::new();
    let mut numbers = Vec::new();
    for &member in members {
        let own = pool_numbers(fleet, member);
        let pool = member.1;
        claims.push(Claim {
            want: own.demand.min(u64::from(own.cap)) as u32,
            priority: pool.priority,
            weight: pool.weight,
            minimum: pool.min_devices,
        });
        numbers.push(own);
    }
    let grants = allocate(config.allocation, group_numbers.free, &claims);
    let names: Vec<String> = members.iter().map(|m| m.0.to_string()).collect();
    // The group's devices in flight, by the pool whose job holds each.
    let mut in_flight: BTreeMap<&str, u32> = BTreeMap::new();
    let held = devices.iter().filter(|d| d.state == DeviceState::InFlight);
    for pool in held.filter_map(|d| fleet.in_flight_on(&d.udid).and_then(job_pool)) {
        *in_flight.entry(pool).or_default() += 1;
    }
    // Each pool's slice of the free list, in pool order.
    let mut slices: Vec<&[String]> = Vec::new();
    let mut rest = free.as_slice();
    for &grant in &grants {
        let (mine, after) = rest.split_at(grant as usize);
        slices.push(mine);
        rest = after;
    }
    let mut assessed = Vec::new();
    for (i, (&(name, pool, _), own)) in members.iter().zip(numbers).enumerate() {
        let mut plan = empty_plan(name, pool, PoolStatus::Planned, String::new());
        plan.numbers = Some(PoolNumbers {
            pending: own.pending,
            claimed: own.claimed,
            pending_since: own.pending_since,
            waiting: own.waiting,
            running: own.running,
            young_running: own.young_running,
            covering: own.covering,
            stuck: own.stuck,
            cap: own.cap,
            demand: own.demand,
            ..group_numbers
        });
        plan.devices = slices[i]
            .iter()
            .map(|udid| DeviceDecision {
                udid: udid.clone(),
                state: DeviceState::Spare,
                // The pool's `group` says whose devices these are.
                detail: String::new(),
                spec: fleet.device_spec(udid),
            })
            .collect();
        // Its own jobs only: the group's other pools report theirs.
        plan.generations = fleet.generations(name);
        plan.group = Some(GroupShare {
            group: group.to_string(),
            allocation: config.allocation,
            pools: names.clone(),
            want: claims[i].want,
            share: grants[i],
            in_flight: in_flight.get(name).copied().unwrap_or(0),
            explanation: explain_grant(config.allocation, group_numbers.free, &claims, &grants, i),
        });
        assessed.push(Assessment {
            plan,
            free: slices[i].to_vec(),
            want: grants[i],
        });
    }
    // Whose share each free device is, looked up once per device.
    let share_of: BTreeMap<&str, &str> = (slices.iter().zip(&names))
        .flat_map(|(slice, name)| slice.iter().map(move |u| (u.as_str(), name.as_str())))
        .collect();
    let mut devices = devices;
    for device in &mut devices {
        if let Some(name) = share_of.get(device.udid.as_str()) {
            device.detail = format!("in pool {name}'s share");
        }
    }
    let group_plan = DeviceGroupPlan {
        group: group.to_string(),
        allocation: config.allocation,
        pools: names,
        devices,
    };
    (assessed, group_plan)
}

/// Added to a free group device's detail while a pool starts a job on it.
const STARTS_ON_IT: &str = "; a job starts on it";

/// Marks each free device of each group `start` while one of `pools` starts a job on it and
/// `spare` otherwise, so the group's list agrees with the pools' starts (call again whenever
/// starts are dropped: a clip, a template that fails).
pub(crate) fn mark_group_starts(groups: &mut [DeviceGroupPlan], pools: &[DevicePoolPlan]) {
    let starting: BTreeSet<&str> = (pools.iter())
        .filter(|p| p.group.is_some())
        .flat_map(|p| p.starts.iter().map(|s| s.udid.as_str()))
        .collect();
    let free = groups.iter_mut().flat_map(|g| g.devices.iter_mut());
    for device in free.filter(|d| matches!(d.state, DeviceState::Spare | DeviceState::Start)) {
        let share = device.detail.trim_end_matches(STARTS_ON_IT).to_string();
        (device.state, device.detail) = if starting.contains(device.udid.as_str()) {
            (DeviceState::Start, format!("{share}{STARTS_ON_IT}"))
        } else {
            (DeviceState::Spare, share)
        };
    }
}
