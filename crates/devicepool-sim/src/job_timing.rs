//! How the simulated fleet's HyperExecute jobs move on as its clock is stepped, with the
//! timing seen on the real fleet (issue 19): a job launched with `--no-track` gets its device
//! and runs about 30 s later, and the generic-worker inside claims a task from its worker's
//! queue (worker id = the device's UDID) about 180 s after launch. Drives the fakes only;
//! knows nothing of devicepool.

use jiff::SignedDuration;

use super::Fleet;

/// When a launched job runs and when it claims its task, counted from its launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobTiming {
    pub runs_after: SignedDuration,
    pub claims_after: SignedDuration,
}

impl JobTiming {
    /// As seen on the real fleet: running 30 s after launch, its task claimed 180 s after.
    pub const OBSERVED: JobTiming = JobTiming {
        runs_after: SignedDuration::from_secs(30),
        claims_after: SignedDuration::from_secs(180),
    };
}

impl Fleet {
    /// Steps LambdaTest's clock by `secs` (fixing it at the real time first if it was not
    /// set) and moves every job on by `timing`: due jobs run, due running jobs claim a task of
    /// the queue whose worker is their device (nothing is claimed when that queue has nothing
    /// pending or no worker is registered for the device).
    pub fn step_jobs(&self, secs: i64, timing: JobTiming) {
        let now = self.lambdatest.now() + SignedDuration::from_secs(secs);
        let claiming =
            (self.lambdatest).advance_jobs(now, (timing.runs_after, timing.claims_after));
        for udid in claiming {
            self.taskcluster.claim_task(&udid, now);
        }
    }
}

#[cfg(test)]
#[path = "job_timing_tests.rs"]
mod tests;
