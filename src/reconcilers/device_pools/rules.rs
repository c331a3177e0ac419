//! The device-pool rules: free devices, demand, caps, which devices to use. Pure: data in,
//! data out, `now` passed in, deterministic order. No I/O, no clock, no randomness.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::config::DevicePool;
use super::conventions::{is_ours, job_labels, job_udid};
use super::model::{Bound, DeviceDecision, DevicePoolPlan, DeviceState, PoolNumbers, StartJob};
use crate::load::{Desired, LambdatestSource};
use crate::reconcilers::PoolStatus;
use crate::reconcilers::{disabled, share_round_robin, unplanned};
use crate::snapshot::Snapshot;
use crate::snapshot::{Job, LambdatestState, QueueState};

/// Plans every device pool of `desired`, in name order. The org-wide `max_initiated` headroom
/// is shared out one start at a time, round-robin, so no pool starves another.
pub(crate) fn plan_all(desired: &Desired, snapshot: &Snapshot) -> Vec<DevicePoolPlan> {
    let now = snapshot.taken_at;
    let mut pools: Vec<DevicePoolPlan> = Vec::new();
    let mut assessed = Vec::new();
    let lt_config = desired.sources.lambdatest.as_ref();
    for (name, pool) in &desired.device_pools {
        let unplanned_pool = |(status, reason): (PoolStatus, String)| DevicePoolPlan {
            pool: name.clone(),
            task_queue: pool.task_queue.clone(),
            status,
            reason,
            numbers: None,
            bound: None,
            starts: Vec::new(),
            devices: Vec::new(),
        };
        if pool.disabled {
            pools.push(unplanned_pool(disabled()));
            continue;
        }
        let queue = snapshot.queues.get(&pool.task_queue);
        match (lt_config, queue, &snapshot.lambdatest) {
            (Some(lt_config), Some(Ok(queue)), Ok(lambdatest)) => {
                assessed.push(assess(name, pool, lt_config, queue, lambdatest, now));
            }
            _ => {
                let queue_failure = queue.and_then(|q| q.as_ref().err());
                let failures = [queue_failure, snapshot.lambdatest.as_ref().err()];
                pools.push(unplanned_pool(unplanned(&failures)));
            }
        }
    }

    if let (Some(lt_config), Ok(lambdatest)) = (lt_config, &snapshot.lambdatest) {
        let org_initiated = lambdatest
            .jobs
            .iter()
            .filter(|j| j.status == "initiated")
            .count() as u32;
        let headroom = lt_config.max_initiated.saturating_sub(org_initiated);
        let wants: Vec<u32> = assessed.iter().map(|a| a.want).collect();
        let grants = share_round_robin(headroom, &wants);
        for (mut assessment, granted) in assessed.into_iter().zip(grants) {
            if let Some(numbers) = assessment.plan.numbers.as_mut() {
                numbers.org_initiated = org_initiated;
                numbers.max_initiated = lt_config.max_initiated;
            }
            pools.push(decide(assessment, granted, &lt_config.program_label));
        }
    }
    pools.sort_by(|a, b| a.pool.cmp(&b.pool));
    pools
}

/// What the planner knows about one pool before the org-wide headroom is shared out.
pub(crate) struct Assessment {
    pub plan: DevicePoolPlan,
    /// Free devices, least recently used first.
    pub free: Vec<String>,
    /// min(demand, free, cap): starts wanted before the org-wide ceiling.
    pub want: u32,
}

/// Works out a pool's numbers and device states from fresh data.
pub(crate) fn assess(
    name: &str,
    pool: &DevicePool,
    lt_config: &LambdatestSource,
    queue: &QueueState,
    lambdatest: &LambdatestState,
    now: Timestamp,
) -> Assessment {
    let grace = SignedDuration::try_from(lt_config.launch_grace).unwrap_or(SignedDuration::MAX);
    let stuck_after =
        SignedDuration::try_from(lt_config.stuck_after).unwrap_or(SignedDuration::MAX);
    // Still waiting for a device long after it was made: it will not claim a task, and the
    // device it names is not held by it.
    let is_stuck = |job: &Job| {
        job.status == "initiated"
            && job
                .created_at
                .is_some_and(|at| now.duration_since(at) >= stuck_after)
    };
    let (stuck, ours): (Vec<&Job>, Vec<&Job>) = lambdatest
        .jobs
        .iter()
        .filter(|job| is_ours(job, &lt_config.program_label, name))
        .partition(|job| is_stuck(job));
    // Our jobs per device, indexed once: every device below looks only at its own.
    let mut by_device: BTreeMap<&str, Vec<&Job>> = BTreeMap::new();
    for job in &ours {
        if let Some(udid) = job_udid(job) {
            by_device.entry(udid).or_default().push(job);
        }
    }
    let jobs_on = |udid: &str| by_device.get(udid).map_or(&[][..], Vec::as_slice);
    let recent = |job: &Job| {
        job.created_at
            .is_some_and(|at| now.duration_since(at) < grace)
    };
    // A job holds its device while queued or running, or while it is fresh and not ended
    // (the API may not show the new job's status yet).
    let in_flight_on = |udid: &str| {
        jobs_on(udid)
            .iter()
            .find(|job| job.is_active() || (recent(job) && !job.has_ended()))
            .map(|job| job.job_number)
    };
    let waiting = ours
        .iter()
        .filter(|job| {
            job.status == "initiated" || (recent(job) && !job.is_active() && !job.has_ended())
        })
        .count() as u32;
    let mut last_used: BTreeMap<&str, Timestamp> = BTreeMap::new();
    for job in &ours {
        if let (Some(udid), Some(at)) = (job_udid(job), job.created_at) {
            let entry = last_used.entry(udid).or_insert(at);
            *entry = (*entry).max(at);
        }
    }

    let mut numbers = PoolNumbers {
        devices: pool.devices.len() as u32,
        pending: queue.pending,
        claimed: queue.claimed,
        waiting,
        stuck: stuck.len() as u32,
        cap: pool.max_starts_per_run,
        ..PoolNumbers::default()
    };
    let mut devices = Vec::new();
    let mut free = Vec::new();
    for udid in &pool.devices {
        let (state, detail) = match lambdatest.devices.get(udid) {
            None => (DeviceState::Unknown, "not listed by LambdaTest".to_string()),
            Some(device) if device.status != "active" => (DeviceState::Busy, device.status.clone()),
            Some(_) => {
                numbers.active += 1;
                if let Some(until) = quarantined_until(queue, udid, now) {
                    numbers.quarantined += 1;
                    (
                        DeviceState::Quarantined,
                        format!("quarantined until {until}"),
                    )
                } else if let Some(job_number) = in_flight_on(udid) {
                    numbers.in_flight += 1;
                    (DeviceState::InFlight, format!("job {job_number}"))
                } else if let Some(why) = cooling_down(pool, jobs_on(udid), now) {
                    numbers.cooling_down += 1;
                    (DeviceState::CoolingDown, why)
                } else {
                    free.push(udid.clone());
                    let stuck_here = stuck.iter().find(|job| job_udid(job) == Some(udid));
                    let detail = stuck_here.map_or(String::new(), |job| {
                        let since = job
                            .created_at
                            .map_or(String::new(), |at| format!(" since {at}"));
                        format!(
                            "job {} stuck in initiated{since} (past stuck_after): not counted",
                            job.job_number
                        )
                    });
                    (DeviceState::Spare, detail)
                }
            }
        };
        devices.push(DeviceDecision {
            udid: udid.clone(),
            state,
            detail,
        });
    }
    free.sort_by(|a, b| {
        let key = |u: &String| last_used.get(u.as_str()).copied();
        key(a).cmp(&key(b)).then_with(|| a.cmp(b))
    });
    numbers.free = free.len() as u32;
    numbers.demand = queue.pending.saturating_sub(u64::from(waiting));
    let want = numbers
        .demand
        .min(u64::from(numbers.free))
        .min(u64::from(numbers.cap)) as u32;
    Assessment {
        plan: DevicePoolPlan {
            pool: name.to_string(),
            task_queue: pool.task_queue.clone(),
            status: PoolStatus::Planned,
            reason: String::new(),
            numbers: Some(numbers),
            bound: None,
            starts: Vec::new(),
            devices,
        },
        free,
        want,
    }
}

/// Fixes the starts of an assessed pool once its share of the org headroom is known.
pub(crate) fn decide(assessment: Assessment, granted: u32, program: &str) -> DevicePoolPlan {
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
    } else if u64::from(want) == numbers.demand {
        Bound::Demand
    } else if want == numbers.free {
        Bound::FreeDevices
    } else {
        Bound::MaxStartsPerRun
    };
    plan.reason = match bound {
        Bound::Demand if numbers.demand == 0 => format!(
            "nothing to start: no uncovered demand ({} pending, {} waiting)",
            numbers.pending, numbers.waiting
        ),
        Bound::Demand => format!("demand met: wanted {}, starting {starts}", numbers.demand),
        _ => format!(
            "clipped by {}: wanted {}, starting {starts}",
            bound.label(),
            numbers.demand
        ),
    };
    plan.bound = Some(bound);
    let chosen: Vec<String> = free.into_iter().take(starts as usize).collect();
    for device in &mut plan.devices {
        if chosen.contains(&device.udid) {
            device.state = DeviceState::Start;
        }
    }
    plan.starts = chosen
        .into_iter()
        .map(|udid| StartJob {
            labels: job_labels(program, &plan.pool, &udid),
            preconditions: vec![
                format!("device {udid} is active in LambdaTest"),
                format!("no job of ours is in flight on {udid}"),
                format!(
                    "{} has a pending task not covered by a waiting job",
                    plan.task_queue
                ),
            ],
            udid,
            job_file: String::new(),
        })
        .collect();
    plan
}

/// HyperExecute statuses that say a job of ours did not do its work.
fn is_failure(job: &Job) -> bool {
    matches!(
        job.status.as_str(),
        "failed" | "lambda_error" | "error" | "timeout" | "aborted"
    )
}

/// Why a device is rested, given our jobs on it: its last `failures_before_cooldown` ended jobs
/// all failed and the latest was created less than `failure_cooldown` ago.
fn cooling_down(pool: &DevicePool, on_device: &[&Job], now: Timestamp) -> Option<String> {
    let needed = pool.failures_before_cooldown as usize;
    if needed == 0 {
        return None;
    }
    let mut ended: Vec<&Job> = on_device
        .iter()
        .copied()
        // A job without a creation time cannot be placed in the order and is left out.
        .filter(|job| job.has_ended() && job.created_at.is_some())
        .collect();
    // Newest first.
    ended.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.job_number.cmp(&a.job_number))
    });
    let last = ended.get(..needed)?;
    if !last.iter().all(|job| is_failure(job)) {
        return None;
    }
    let latest = last[0].created_at?;
    let rest = SignedDuration::try_from(pool.failure_cooldown).unwrap_or(SignedDuration::MAX);
    let until = latest.checked_add(rest).ok()?;
    (now < until).then(|| {
        let numbers: Vec<String> = last.iter().map(|j| j.job_number.to_string()).collect();
        format!(
            "its last {needed} jobs of ours failed ({}); rested until {until}",
            numbers.join(", ")
        )
    })
}

fn quarantined_until(queue: &QueueState, udid: &str, now: Timestamp) -> Option<Timestamp> {
    queue
        .quarantined
        .get(udid)
        .copied()
        .flatten()
        .filter(|until| *until > now)
}
