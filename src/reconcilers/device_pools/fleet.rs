//! What a fresh reading says of each device and of each pool's jobs: our jobs indexed once by
//! device and by pool, and one device's state from them. A job of ours for any pool holds the
//! device it names. Pure: `now` is passed in; no I/O.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::conventions::{job_claim, job_pool};
use super::membership::{Membership, Owner};
use super::model::{DeviceDecision, DeviceState, PoolNumbers};
use crate::load::LambdatestSource;
use crate::reconcilers::ownership::{Ownership, Verdict};
use crate::snapshot::{Job, LambdatestState, QueueState};

/// Our jobs in the reading, indexed, and what is needed to judge a device.
pub(crate) struct Fleet<'a> {
    pub(crate) lambdatest: &'a LambdatestState,
    pub(crate) membership: Membership,
    now: Timestamp,
    grace: SignedDuration,
    /// `sources.taskcluster.worker_stale_after`, when set.
    worker_stale_after: Option<SignedDuration>,
    /// The task queue read for each desired pool, by pool name.
    queues_of_pools: BTreeMap<&'a str, &'a QueueState>,
    /// Our jobs not stuck, per device, whatever their pool.
    by_device: BTreeMap<&'a str, Vec<&'a Job>>,
    /// Each pool's jobs not stuck, and its stuck ones.
    by_pool: BTreeMap<&'a str, (Vec<&'a Job>, Vec<&'a Job>)>,
    /// Stuck jobs per device, in the order read.
    stuck_on: BTreeMap<&'a str, Vec<&'a Job>>,
    /// Look-alike jobs (labelled like this fleet's, not proven) not ended, per device: never
    /// counted as ours, but the device they name is not started on either.
    look_alike_on: BTreeMap<&'a str, &'a Job>,
}

/// One pool's jobs of ours, counted for its demand.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PoolJobs {
    /// `initiated` and not stuck, or younger than `launch_grace` and neither running nor ended.
    pub(crate) waiting: u32,
    /// `running`, and of those, created less than `launch_grace` ago.
    pub(crate) running: u32,
    pub(crate) young_running: u32,
    /// Jobs expected to claim a pending task: `waiting + min(young_running, running − claimed)`.
    pub(crate) covering: u32,
    pub(crate) stuck: u32,
}

/// Where a job falls in creation order: (created, job number).
type JobOrder = (Option<Timestamp>, u64);

/// How a device is rested after failed jobs: (failures in a row, rest).
pub(crate) type Cooldown = (u32, Duration);

impl<'a> Fleet<'a> {
    pub(crate) fn new(
        lt_config: &LambdatestSource,
        worker_stale_after: Option<Duration>,
        queues_of_pools: BTreeMap<&'a str, &'a QueueState>,
        lambdatest: &'a LambdatestState,
        membership: Membership,
        (owner, now): (Ownership<'_>, Timestamp),
    ) -> Self {
        let signed = |d: Duration| SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX);
        let stuck_after = signed(lt_config.stuck_after);
        let mut fleet = Fleet {
            lambdatest,
            membership,
            now,
            grace: signed(lt_config.launch_grace),
            worker_stale_after: worker_stale_after.map(signed),
            queues_of_pools,
            by_device: BTreeMap::new(),
            by_pool: BTreeMap::new(),
            stuck_on: BTreeMap::new(),
            look_alike_on: BTreeMap::new(),
        };
        for job in &lambdatest.jobs {
            let stuck = is_stuck(job, now, stuck_after);
            let (pool, udid) = match job_claim(job, &lt_config.program_label, &owner) {
                Some((pool, udid, Verdict::Ours)) => (pool, udid),
                Some((_, udid, Verdict::LookAlike(_))) if !job.has_ended() && !stuck => {
                    fleet.look_alike_on.entry(udid).or_insert(job);
                    continue;
                }
                _ => continue,
            };
            let (active, stuck_jobs) = fleet.by_pool.entry(pool).or_default();
            if stuck {
                stuck_jobs.push(job);
                fleet.stuck_on.entry(udid).or_default().push(job);
            } else {
                active.push(job);
                fleet.by_device.entry(udid).or_default().push(job);
            }
        }
        fleet
    }

    fn recent(&self, job: &Job) -> bool {
        job.created_at
            .is_some_and(|at| self.now.duration_since(at) < self.grace)
    }

    fn jobs_on(&self, udid: &str) -> &[&'a Job] {
        self.by_device.get(udid).map_or(&[], Vec::as_slice)
    }

    /// `pool`'s own jobs, given `claimed`, the tasks its queue counts as claimed: those
    /// waiting for a device, those covering a pending task, and the stuck ones.
    ///
    /// A job covers a pending task until it claims one. One waiting for its device (not
    /// stuck) has not claimed. A running one may have: of the running jobs, as many as the
    /// queue has claimed tasks are taken to have claimed, and only those younger than
    /// `launch_grace` are expected to claim still (an older one that has not claimed is
    /// doing something else). An ended job covers nothing, however young: it will claim no
    /// more, and a task it left unclaimed is pending again.
    pub(crate) fn pool_jobs(&self, pool: &str, claimed: u64) -> PoolJobs {
        let Some((jobs, stuck)) = self.by_pool.get(pool) else {
            return PoolJobs::default();
        };
        let count = |keep: &dyn Fn(&Job) -> bool| jobs.iter().filter(|j| keep(j)).count() as u32;
        let waiting = count(&|job| {
            job.status == "initiated" || (self.recent(job) && !job.is_active() && !job.has_ended())
        });
        let running = count(&|job| job.status == "running");
        let young_running = count(&|job| job.status == "running" && self.recent(job));
        let unclaimed = u64::from(running).saturating_sub(claimed) as u32;
        PoolJobs {
            waiting,
            running,
            young_running,
            covering: waiting + young_running.min(unclaimed),
            stuck: stuck.len() as u32,
        }
    }

    /// The job of ours that holds `udid`: queued or running, or too young to have ended.
    pub(crate) fn in_flight_on(&self, udid: &str) -> Option<&'a Job> {
        (self.jobs_on(udid).iter().copied())
            .find(|job| job.is_active() || (self.recent(job) && !job.has_ended()))
    }

    /// When a job of ours last started on `udid`, for least-recently-used order. A stuck job
    /// counts: the device was used (the manual's order is by our latest job on it).
    pub(crate) fn last_used(&self, udid: &str) -> Option<Timestamp> {
        let stuck = self.stuck_on.get(udid).into_iter().flatten();
        (self.jobs_on(udid).iter().chain(stuck))
            .filter_map(|j| j.created_at)
            .max()
    }

    /// Judges `owner`'s devices against the queues that may quarantine them, counting into
    /// `numbers`; returns the decisions and the free devices, least recently used first.
    pub(crate) fn judge_all(
        &self,
        owner: &Owner,
        queues: &[&QueueState],
        cooldown: Cooldown,
        numbers: &mut PoolNumbers,
    ) -> (Vec<DeviceDecision>, Vec<String>) {
        let udids = self.membership.devices_of(owner);
        numbers.devices = udids.len() as u32;
        let mut free = Vec::new();
        let decisions = udids
            .iter()
            .map(|udid| {
                let (state, detail) = self.judge(udid, owner, queues, cooldown, numbers);
                if state == DeviceState::Spare {
                    free.push(udid.clone());
                }
                DeviceDecision {
                    udid: udid.clone(),
                    state,
                    detail,
                    spec: self.device_spec(udid),
                }
            })
            .collect();
        free.sort_by_cached_key(|u| (self.last_used(u), u.clone()));
        numbers.free = free.len() as u32;
        (decisions, free)
    }

    fn judge(
        &self,
        udid: &str,
        owner: &Owner,
        queues: &[&QueueState],
        cooldown: Cooldown,
        numbers: &mut PoolNumbers,
    ) -> (DeviceState, String) {
        if let Some(flaw) = self.membership.unusable.get(udid) {
            let why = format!("LambdaTest's UDID {udid:?} {flaw}: it cannot be a job label");
            return (DeviceState::Unusable, why);
        }
        if let Some(rivals) = self.membership.rivals(udid, owner) {
            numbers.contested += 1;
            let why = format!("also claimed by {rivals}: used by none until one claim is dropped");
            return (DeviceState::Contested, why);
        }
        match self.lambdatest.devices.get(udid) {
            None => return (DeviceState::Unknown, "not listed by LambdaTest".into()),
            Some(device) if device.status != "active" => {
                return (DeviceState::Busy, device.status.clone());
            }
            Some(_) => {}
        }
        numbers.active += 1;
        if let Some(until) = queues
            .iter()
            .filter_map(|q| quarantined_until(q, udid, self.now))
            .max()
        {
            numbers.quarantined += 1;
            return (
                DeviceState::Quarantined,
                format!("quarantined until {until}"),
            );
        }
        let jobs = self.jobs_on(udid);
        if let Some(job) = self.in_flight_on(udid) {
            numbers.in_flight += 1;
            return (DeviceState::InFlight, format!("job {}", job.job_number));
        }
        if let Some(job) = self.look_alike_on.get(udid) {
            let why = format!(
                "look-alike job {} (not proven ours) is on it",
                job.job_number
            );
            return (DeviceState::Busy, why);
        }
        if let Some(why) = cooling_down(cooldown, jobs, self.now) {
            numbers.cooling_down += 1;
            return (DeviceState::CoolingDown, why);
        }
        if let Some(why) = self.stale_worker(udid) {
            numbers.stale_workers += 1;
            return (DeviceState::StaleWorker, why);
        }
        let stuck = self.stuck_on.get(udid).and_then(|jobs| jobs.first());
        let detail = stuck.map_or(String::new(), |job| {
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

    /// Why `udid`'s Taskcluster worker is stale: our latest ended job on it was created at
    /// least `worker_stale_after` ago, and the worker (in the queue of that job's pool) has not
    /// been active since, allowing for `lastDateActive`'s lag: the generic-worker our jobs start
    /// there is not claiming. The device then rests for another `worker_stale_after` and is
    /// tried again. Not judged when that queue was not read.
    fn stale_worker(&self, udid: &str) -> Option<String> {
        let stale_after = self.worker_stale_after?;
        let job = *newest_ended(self.jobs_on(udid)).first()?;
        let created = job.created_at?;
        let age = self.now.duration_since(created);
        if age < stale_after || age >= stale_after.checked_mul(2)? {
            return None;
        }
        let queue = self.queues_of_pools.get(job_pool(job)?)?;
        let active = queue.last_active.get(udid);
        if active.is_some_and(|at| {
            at.checked_add(LAST_ACTIVE_LAG)
                .is_ok_and(|at| at >= created)
        }) {
            return None;
        }
        let last = active.map_or("never active".to_string(), |at| format!("last active {at}"));
        let until = created.checked_add(stale_after.checked_mul(2)?).ok()?;
        Some(format!(
            "its worker is {last}, not since job {} of ours was created at {created}: the \
             generic-worker there is not claiming (worker_stale_after); rested until {until}",
            job.job_number
        ))
    }
}

/// How far Taskcluster's `lastDateActive` may lag a claim: the queue writes it at most once
/// every 30 minutes per worker.
const LAST_ACTIVE_LAG: SignedDuration = SignedDuration::from_mins(30);

/// Whether `job` is still `initiated` (waiting for a device) `stuck_after` or more after it
/// was made: it will not claim a task, and the device it names is not held by it (ours or a
/// look-alike).
pub(crate) fn is_stuck(job: &Job, now: Timestamp, stuck_after: SignedDuration) -> bool {
    job.status == "initiated"
        && job
            .created_at
            .is_some_and(|at| now.duration_since(at) >= stuck_after)
}

/// HyperExecute statuses that say a job of ours did not do its work.
fn is_failure(job: &Job) -> bool {
    matches!(
        job.status.as_str(),
        "failed" | "lambda_error" | "error" | "timeout" | "aborted"
    )
}

/// Ended jobs with a creation time, newest first (a job without one cannot be placed in the
/// order and is left out).
fn newest_ended<'a>(jobs: &[&'a Job]) -> Vec<&'a Job> {
    let mut ended: Vec<&Job> = jobs
        .iter()
        .copied()
        .filter(|job| job.has_ended() && job.created_at.is_some())
        .collect();
    ended.sort_by(|a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then(b.job_number.cmp(&a.job_number))
    });
    ended
}

/// Why a device is rested, given our jobs on it: its last `needed` ended jobs all failed and
/// the latest was created less than `rest` ago.
fn cooling_down((needed, rest): Cooldown, on_device: &[&Job], now: Timestamp) -> Option<String> {
    let needed = needed as usize;
    if needed == 0 {
        return None;
    }
    let ended = newest_ended(on_device);
    let last = ended.get(..needed)?;
    if !last.iter().all(|job| is_failure(job)) {
        return None;
    }
    let latest = last[0].created_at?;
    let rest = SignedDuration::try_from(rest).unwrap_or(SignedDuration::MAX);
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

#[path = "fleet_specs.rs"]
mod specs;

#[cfg(test)]
#[path = "fleet_tests.rs"]
mod tests;
