//! What `apply --verify` checks of device pools on the fleet read back: no device has two jobs
//! of ours queued or running (one would wait for the other, or the pool was started twice).
//! Pure; a pool whose data could not be read is not judged.

use std::collections::BTreeMap;

use super::conventions::{is_ours, job_udid};
use crate::load::Desired;
use crate::reconcilers::record::{Broken, Kind};
use crate::snapshot::Snapshot;

/// Every device of every enabled pool with more than one active job of ours.
pub(crate) fn verify(desired: &Desired, snapshot: &Snapshot) -> Vec<Broken> {
    let (Some(lt), Ok(lambdatest)) = (&desired.sources.lambdatest, &snapshot.lambdatest) else {
        return Vec::new();
    };
    let mut broken = Vec::new();
    for (name, pool) in desired.device_pools.iter().filter(|(_, p)| !p.disabled) {
        let mut on_device: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
        let ours = lambdatest
            .jobs
            .iter()
            .filter(|j| is_ours(j, &lt.program_label, name));
        for job in ours.filter(|j| j.is_active()) {
            if let Some(udid) = job_udid(job).filter(|u| pool.devices.iter().any(|d| d == u)) {
                on_device.entry(udid).or_default().push(job.job_number);
            }
        }
        for (udid, jobs) in on_device.into_iter().filter(|(_, jobs)| jobs.len() > 1) {
            let numbers: Vec<String> = jobs.iter().map(u64::to_string).collect();
            broken.push(Broken {
                kind: Kind::DevicePool,
                pool: name.clone(),
                problem: format!(
                    "device {udid} has {} jobs of ours queued or running: {}",
                    jobs.len(),
                    numbers.join(", ")
                ),
            });
        }
    }
    broken
}
