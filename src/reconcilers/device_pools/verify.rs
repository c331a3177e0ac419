//! What `apply --verify` checks of device pools on the fleet read back: no device this run
//! started a job on is held by two jobs of ours queued or running (one would wait for the
//! other, or the device was started twice). A device held twice that this run started nothing
//! on is said as a note, never broken: the run made no promise about it. A job stuck
//! `initiated` past `stuck_after` holds no device (the planner reuses its device on purpose),
//! so it is not counted. Pure; nothing is judged when LambdaTest could not be read.

use std::collections::BTreeMap;

use jiff::SignedDuration;

use super::conventions::job_of_ours;
use super::fleet::is_stuck;
use crate::load::Desired;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::record::{Action, ActionRecord, Broken, Kind, Outcome, VerifyNote};
use crate::snapshot::{Job, Snapshot};

/// Every device held by more than one active job of this run's pools, whichever pools started
/// them (a device shared through a group may be double-booked across pools): broken when this
/// run (`actions`) started a job on it, else a note.
pub(crate) fn verify(
    desired: &Desired,
    snapshot: &Snapshot,
    actions: &[ActionRecord],
) -> (Vec<Broken>, Vec<VerifyNote>) {
    let (Some(lt), Ok(lambdatest)) = (&desired.sources.lambdatest, &snapshot.lambdatest) else {
        return (Vec::new(), Vec::new());
    };
    let owner = Ownership::of(desired);
    let stuck_after = SignedDuration::try_from(lt.stuck_after).unwrap_or(SignedDuration::MAX);
    let holds_device =
        |job: &&Job| job.is_active() && !is_stuck(job, snapshot.taken_at, stuck_after);
    let mut on_device: BTreeMap<&str, Vec<(&str, u64)>> = BTreeMap::new();
    for job in lambdatest.jobs.iter().filter(holds_device) {
        let ours = job_of_ours(job, &lt.program_label, &owner);
        // Pools outside this run's desired state (another partition's) are not judged here.
        if let Some((pool, udid)) = ours.filter(|(p, _)| desired.device_pools.contains_key(*p)) {
            on_device
                .entry(udid)
                .or_default()
                .push((pool, job.job_number));
        }
    }
    let (mut broken, mut notes) = (Vec::new(), Vec::new());
    for (udid, jobs) in on_device.into_iter().filter(|(_, jobs)| jobs.len() > 1) {
        let numbers: Vec<String> = jobs
            .iter()
            .map(|(pool, number)| format!("{number} (pool {pool})"))
            .collect();
        let held = format!(
            "device {udid} has {} jobs of ours queued or running: {}",
            jobs.len(),
            numbers.join(", ")
        );
        match started_on(udid, actions) {
            Some(start) => broken.push(Broken {
                kind: Kind::DevicePool,
                pool: start.pool.clone(),
                problem: format!("{held}, after this run started one on it"),
            }),
            None => notes.push(VerifyNote {
                kind: Kind::DevicePool,
                pool: jobs[0].0.to_string(),
                note: format!("{held}, none started by this run"),
            }),
        }
    }
    (broken, notes)
}

/// The start of `actions` that launched a job on `udid`, if this run did.
fn started_on<'a>(udid: &str, actions: &'a [ActionRecord]) -> Option<&'a ActionRecord> {
    actions.iter().find(|a| {
        a.kind == Kind::DevicePool
            && a.action == Action::StartJob
            && a.outcome == Outcome::Done
            && a.target == udid
    })
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
