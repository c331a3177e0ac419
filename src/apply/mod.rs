//! APPLY: carries out a re-checked plan, kind by kind (each kind's `execute`), and gathers
//! what happened into one report. One failed action never stops the others. Decides nothing:
//! what to do comes in.

use std::path::Path;

use serde::Serialize;

use crate::clients::lambdatest::hyperexecute;
use crate::plan::{Drift, Plan};
use crate::reconcilers::device_pools::execute::LaunchRecord;
use crate::reconcilers::racks::execute::DeployRecord;
use crate::reconcilers::runner_pools::executor::RunnerRecord;
use crate::reconcilers::{Run, Skipped, device_pools, racks, runner_pools};

/// Removes the job directories (job files with real secrets) a killed run left under
/// `work_dir`. Holding `_lock` proves no launch of that run is still using them.
pub fn remove_leftover_job_dirs(work_dir: &Path, _lock: &crate::lock::RunLock) -> usize {
    hyperexecute::remove_leftover_job_dirs(work_dir)
}

/// What an apply did: the plan it worked from, each launch, and what it skipped.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub plan: crate::plan::Plan,
    pub launches: Vec<LaunchRecord>,
    /// Deploy jobs submitted to Testflinger.
    pub deploys: Vec<DeployRecord>,
    /// Runners started and removed.
    pub runners: Vec<RunnerRecord>,
    /// Planned starts not attempted because their facts no longer held.
    pub skipped: Vec<Skipped>,
    /// Pools held in the snapshot this apply read (a source failed).
    pub held: Vec<Held>,
}

/// A pool that was not handled because a source it needs failed.
#[derive(Debug, Clone, Serialize)]
pub struct Held {
    pub pool: String,
    pub reason: String,
}

impl ApplyReport {
    pub fn failed(&self) -> usize {
        let launches = self.launches.iter().filter(|l| !l.launched).count();
        launches
            + self.deploys.iter().filter(|d| !d.submitted).count()
            + self.runners.iter().filter(|r| r.error.is_some()).count()
    }
}

/// Carries out every action of `kept` (a re-checked plan); the drifted ones are reported as
/// skipped.
pub fn carry_out(run: &Run<'_>, kept: Plan, drifted: Vec<Drift>) -> ApplyReport {
    let mut skipped: Vec<Skipped> = drifted
        .into_iter()
        .map(|d| Skipped {
            pool: d.pool,
            udid: d.what,
            reason: d.reason,
        })
        .collect();
    let launches = device_pools::execute::execute(run, &kept, &mut skipped);
    let deploys = racks::execute::execute(run, &kept, &mut skipped);
    let runners = runner_pools::execute::execute(run, &kept);
    // Every request has been answered or has failed: none is on its way any more.
    if let Some(sends) = &run.sends {
        sends.finish();
    }
    let held = kept
        .held()
        .into_iter()
        .map(|(pool, reason)| Held { pool, reason })
        .collect();
    ApplyReport {
        held,
        plan: kept,
        launches,
        deploys,
        runners,
        skipped,
    }
}
