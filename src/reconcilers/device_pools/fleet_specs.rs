//! The specs in a fleet reading, for a device pool's roll-out report: the spec each device's
//! job of ours runs (or last ran) and each pool's jobs grouped by spec. A child of `fleet.rs`
//! (it reads the fleet's job indexes); pure, no request, it decides nothing.

use std::collections::BTreeMap;

use super::{Fleet, JobOrder, is_failure};
use crate::reconcilers::device_pools::conventions::job_spec;
use crate::reconcilers::device_pools::model::Generation;
use crate::snapshot::Job;

impl Fleet<'_> {
    /// The spec the job of ours holding `udid` runs, else the one the newest job of ours on
    /// it ran (stuck ones included); `None` with no such job or no valid spec label.
    pub(crate) fn device_spec(&self, udid: &str) -> Option<String> {
        let stuck = self.stuck_on.get(udid).into_iter().flatten();
        let newest = (self.jobs_on(udid).iter().chain(stuck))
            .max_by_key(|job| (job.created_at, job.job_number));
        let job = self.in_flight_on(udid).or(newest.copied())?;
        job_spec(job).map(str::to_string)
    }

    /// `pool`'s jobs of ours (stuck ones included) grouped by the spec each ran, oldest
    /// generation first (by its newest job), each with its failures and the devices one of its
    /// jobs holds. Only what the reading already holds: no request.
    pub(crate) fn generations(&self, pool: &str) -> Vec<Generation> {
        let Some((jobs, stuck)) = self.by_pool.get(pool) else {
            return Vec::new();
        };
        let mut by_spec: BTreeMap<Option<&str>, (Generation, JobOrder)> = BTreeMap::new();
        for &job in jobs.iter().chain(stuck) {
            let spec = job_spec(job);
            let (generation, newest) = by_spec.entry(spec).or_insert_with(|| {
                let generation = Generation {
                    spec: spec.map(str::to_string),
                    jobs: 0,
                    failed: 0,
                    in_flight: Vec::new(),
                };
                (generation, (None, 0))
            });
            generation.jobs += 1;
            generation.failed += u32::from(is_failure(job));
            *newest = (*newest).max((job.created_at, job.job_number));
            let udid = job.labels.as_deref().and_then(|l| l.get(2));
            if let Some(udid) = udid.filter(|u| self.holds(u, job)) {
                generation.in_flight.push(udid.clone());
            }
        }
        let mut generations: Vec<_> = by_spec.into_values().collect();
        generations.sort_by_key(|(_, newest)| *newest);
        (generations.into_iter())
            .map(|(mut generation, _)| {
                generation.in_flight.sort();
                generation.in_flight.dedup();
                generation
            })
            .collect()
    }

    /// Whether `job` is the job of ours holding `udid`.
    fn holds(&self, udid: &str, job: &Job) -> bool {
        self.in_flight_on(udid)
            .is_some_and(|on| std::ptr::eq(on, job))
    }
}
