//! The device-pool rules: free devices, demand, caps, shared groups (shared out in
//! `group_share.rs`), which devices to use.
//! Pure: data in, data out, `now` passed in, deterministic order. No I/O, no clock, no
//! randomness.

use std::collections::{BTreeMap, BTreeSet};

use super::config::DevicePool;
use super::conventions::job_labels;
use super::fleet::Fleet;
use super::group_share::assess_group;
pub(crate) use super::group_share::mark_group_starts;
use super::membership::{Owner, resolve};
use super::model::{Bound, DeviceGroupPlan, DevicePoolPlan, DeviceState, PoolNumbers, StartJob};
use crate::load::Desired;
use crate::reconcilers::PoolStatus;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::{disabled, share_round_robin, unplanned};
use crate::snapshot::{QueueState, Snapshot};

/// A pool whose data was read: its name, config and task queue.
pub(super) type Ready<'a> = (&'a str, &'a DevicePool, &'a QueueState);

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

pub(super) fn empty_plan(
    name: &str,
    pool: &DevicePool,
    status: PoolStatus,
    reason: String,
) -> DevicePoolPlan {
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
pub(super) fn pool_numbers(fleet: &Fleet<'_>, (name, pool, queue): Ready<'_>) -> PoolNumbers {
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
