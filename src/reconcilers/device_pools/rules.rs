//! The device-pool rules: free devices, demand, caps, shared groups, which devices to use.
//! Pure: data in, data out, `now` passed in, deterministic order. No I/O, no clock, no
//! randomness.

use std::collections::{BTreeMap, BTreeSet};

use super::allocation::{Claim, allocate, explain_grant};
use super::config::DevicePool;
use super::conventions::{job_labels, job_pool};
use super::fleet::Fleet;
use super::group::DeviceGroup;
use super::membership::{Owner, resolve};
use super::model::{
    Bound, DeviceDecision, DeviceGroupPlan, DevicePoolPlan, DeviceState, GroupShare, PoolNumbers,
    StartJob,
};
use crate::load::Desired;
use crate::reconcilers::PoolStatus;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::{disabled, share_round_robin, unplanned};
use crate::snapshot::{QueueState, Snapshot};

/// A pool whose data was read: its name, config and task queue.
type Ready<'a> = (&'a str, &'a DevicePool, &'a QueueState);

/// Plans every device pool of `desired`, in name order, and every device group planned. A
/// group's free devices are shared out between its pools by the group's `allocation`; the
/// org-wide `max_initiated` headroom is then shared out one start at a time, round-robin, so
/// no pool starves another.
pub(crate) fn plan_all(
    desired: &Desired,
    snapshot: &Snapshot,
) -> (Vec<DevicePoolPlan>, Vec<DeviceGroupPlan>) {
    let mut pools: Vec<DevicePoolPlan> = Vec::new();
    let mut groups: Vec<DeviceGroupPlan> = Vec::new();
    let mut ready: Vec<Ready<'_>> = Vec::new();
    // Groups with an enabled pool whose data could not be read, and that pool.
    let mut unread: BTreeMap<&str, &str> = BTreeMap::new();
    let lt_config = desired.sources.lambdatest.as_ref();
    for (name, pool) in &desired.device_pools {
        let queue = snapshot.queues.get(&pool.task_queue);
        let unplanned_pool = |(status, reason)| empty_plan(name, pool, status, reason);
        match (pool.disabled, lt_config, queue, &snapshot.lambdatest) {
            (true, ..) => pools.push(unplanned_pool(disabled())),
            (false, Some(_), Some(Ok(queue)), Ok(_)) => ready.push((name, pool, queue)),
            _ => {
                if let Some(group) = &pool.group {
                    unread.entry(group).or_insert(name);
                }
                let queue_failure = queue.and_then(|q| q.as_ref().err());
                let failures = [queue_failure, snapshot.lambdatest.as_ref().err()];
                pools.push(unplanned_pool(unplanned(&failures)));
            }
        }
    }
    let (Some(lt_config), Ok(lambdatest)) = (lt_config, &snapshot.lambdatest) else {
        return (pools, groups);
    };
    let membership = resolve(desired, &lambdatest.devices);
    let stale_after = desired.sources.taskcluster.as_ref();
    let stale_after = stale_after.and_then(|tc| tc.worker_stale_after);
    let queues_of_pools = (desired.device_pools.iter())
        .filter_map(|(name, pool)| {
            let queue = snapshot.queues.get(&pool.task_queue)?.as_ref().ok()?;
            Some((name.as_str(), queue))
        })
        .collect();
    let now = snapshot.taken_at;
    let owner = Ownership::of(desired);
    let fleet = Fleet::new(
        lt_config,
        stale_after,
        queues_of_pools,
        lambdatest,
        membership,
        (owner, now),
    );
    let mut assessed = Vec::new();
    let mut grouped: BTreeMap<&str, Vec<Ready<'_>>> = BTreeMap::new();
    for entry in ready {
        match &entry.1.group {
            Some(group) => grouped.entry(group).or_default().push(entry),
            None => assessed.push(assess(&fleet, entry)),
        }
    }
    for (group, members) in grouped {
        let held = match (desired.device_groups.get(group), unread.get(group)) {
            (Some(config), None) => {
                let (members, group_plan) = assess_group(config, &fleet, group, &members);
                assessed.extend(members);
                groups.push(group_plan);
                continue;
            }
            (Some(_), Some(failed)) => format!(
                "held with pool {failed} of device group {group}: its data could not be read, \
                 and the group's devices are shared out between all its pools"
            ),
            // `load` refuses a pool naming no group; never plan on a guess.
            (None, _) => format!("device group {group:?} is not in the desired state"),
        };
        pools.extend(members.iter().map(|(name, pool, _)| {
            let status = PoolStatus::Held {
                reason: held.clone(),
            };
            empty_plan(name, pool, status, held.clone())
        }));
    }
    assessed.sort_by(|a, b| a.plan.pool.cmp(&b.plan.pool));

    // A recording made before the org's count was read counts the jobs it kept.
    let org_initiated = lambdatest.org_initiated.map_or_else(
        || {
            (lambdatest.jobs.iter())
                .filter(|j| j.status == "initiated")
                .count() as u32
        },
        |read| read.count,
    );
    let headroom = lt_config.max_initiated.saturating_sub(org_initiated);
    let wants: Vec<u32> = assessed.iter().map(|a| a.want).collect();
    let grants = share_round_robin(headroom, &wants);
    for (mut assessment, granted) in assessed.into_iter().zip(grants) {
        if let Some(numbers) = assessment.plan.numbers.as_mut() {
            numbers.org_initiated = org_initiated;
            numbers.max_initiated = lt_config.max_initiated;
        }
        pools.push(decide(
            assessment,
            granted,
            (&lt_config.program_label, owner),
        ));
    }
    pools.sort_by(|a, b| a.pool.cmp(&b.pool));
    mark_group_starts(&mut groups, &pools);
    (pools, groups)
}

fn empty_plan(name: &str, pool: &DevicePool, status: PoolStatus, reason: String) -> DevicePoolPlan {
    DevicePoolPlan {
        rollout: None,
        generations: Vec::new(),
        pool: name.to_string(),
        task_queue: pool.task_queue.clone(),
        status,
        reason,
        numbers: None,
        bound: None,
        starts: Vec::new(),
        devices: Vec::new(),
        group: None,
        schedule: (pool.in_effect.as_ref()).map(|e| e.description.clone()),
        schedule_period: (pool.in_effect.as_ref()).map(|e| e.period.clone()),
    }
}

/// What the planner knows about one pool before the org-wide headroom is shared out.
pub(crate) struct Assessment {
    pub plan: DevicePoolPlan,
    /// Devices this pool may start on, least recently used first.
    pub free: Vec<String>,
    /// Starts wanted before the org-wide ceiling: min(demand, free, cap), or the group share.
    pub want: u32,
}

/// A pool's own numbers: its task queue and its jobs.
fn pool_numbers(fleet: &Fleet<'_>, (name, pool, queue): Ready<'_>) -> PoolNumbers {
    let jobs = fleet.pool_jobs(name, queue.claimed);
    PoolNumbers {
        pending: queue.pending,
        claimed: queue.claimed,
        pending_since: queue.oldest_pending,
        waiting: jobs.waiting,
        running: jobs.running,
        young_running: jobs.young_running,
        covering: jobs.covering,
        stuck: jobs.stuck,
        cap: pool.max_starts_per_run,
        demand: queue.pending.saturating_sub(u64::from(jobs.covering)),
        ..PoolNumbers::default()
    }
}

/// Works out a pool outside any group from fresh data.
fn assess(fleet: &Fleet<'_>, ready: Ready<'_>) -> Assessment {
    let (name, pool, queue) = ready;
    let mut numbers = pool_numbers(fleet, ready);
    let owner = Owner::Pool(name.to_string());
    let cooldown = (pool.failures_before_cooldown, pool.failure_cooldown);
    let (devices, free) = fleet.judge_all(&owner, &[queue], cooldown, &mut numbers);
    let want = numbers
        .demand
        .min(u64::from(numbers.free))
        .min(u64::from(numbers.cap)) as u32;
    let mut plan = empty_plan(name, pool, PoolStatus::Planned, String::new());
    plan.numbers = Some(numbers);
    plan.devices = devices;
    plan.generations = fleet.generations(name);
    Assessment { plan, free, want }
}

/// Works out every planned pool of `group`: the group's devices are judged once (a device
/// quarantined in any member's queue is quarantined), then shared out by the allocation, in
/// least-recently-used order, to the pools in name order. Each pool lists only its share; the
/// group's plan lists every device once.
fn assess_group(
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

/// Fixes the starts of an assessed pool once its share of the org headroom is known.
pub(crate) fn decide(
    assessment: Assessment,
    granted: u32,
    (program, owner): (&str, Ownership<'_>),
) -> DevicePoolPlan {
    let Assessment {
        mut plan,
        free,
        want,
    } = assessment;
    let numbers = plan.numbers.as_mut().expect("assessed pools have numbers");
    let starts = granted.min(want);
    numbers.starts = starts;
    let bound = if starts < want {
        Bound::MaxInitiated
    } else if let Some(g) = &plan.group {
        // `numbers.free` is the group's: the pool's own limits are its want and its share.
        if g.share < g.want {
            Bound::GroupShare
        } else if u64::from(g.want) == numbers.demand {
            Bound::Demand
        } else {
            Bound::MaxStartsPerRun
        }
    } else if u64::from(want) == numbers.demand {
        Bound::Demand
    } else if want == numbers.free {
        Bound::FreeDevices
    } else {
        Bound::MaxStartsPerRun
    };
    // What the pool wanted, as `explain` computes it: its share's want in a group.
    let wanted = plan.group.as_ref().map_or(want, |g| g.want);
    let demand = if u64::from(wanted) == numbers.demand {
        String::new()
    } else {
        format!("demand {}, ", numbers.demand)
    };
    plan.reason = match bound {
        Bound::Demand if numbers.demand == 0 => format!(
            "nothing to start: no uncovered demand ({} pending, {} covered by our jobs)",
            numbers.pending, numbers.covering
        ),
        Bound::Demand => format!("demand met: wanted {wanted}, starting {starts}"),
        _ => format!(
            "clipped by {}: {demand}wanted {wanted}, starting {starts}",
            bound.label()
        ),
    };
    plan.bound = Some(bound);
    let chosen: Vec<String> = free.into_iter().take(starts as usize).collect();
    let chosen_set: BTreeSet<&str> = chosen.iter().map(String::as_str).collect();
    for device in &mut plan.devices {
        if chosen_set.contains(device.udid.as_str()) {
            device.state = DeviceState::Start;
        }
    }
    plan.starts = chosen
        .into_iter()
        .map(|udid| StartJob {
            labels: job_labels(program, &owner, &plan.pool, &udid),
            preconditions: vec![
                format!("device {udid} is active in LambdaTest"),
                format!("no job of ours is in flight on {udid}"),
                format!(
                    "{} has a pending task not covered by a job of ours",
                    plan.task_queue
                ),
            ],
            udid,
            job_file: String::new(),
        })
        .collect();
    plan
}
