//! APPLY: carries out planned starts. Launches run in parallel under a cap with a small
//! stagger; one failed launch never stops the others. Every exit status is checked and the
//! (redacted) output lands in the report. Decides nothing: what to launch comes in.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::clients::http_send as http;
use crate::clients::lambdatest::hyperexecute;
use crate::clients::testflinger::submit as testflinger;
use crate::load::LaunchSettings;
use crate::parallel::map_parallel;
use crate::reconcilers::runner_pools::execute as runners;
use crate::secret::{Redactor, Secret};

/// Removes the job directories (job files with real secrets) a killed run left under
/// `work_dir`. Holding `_lock` proves no launch of that run is still using them.
pub fn remove_leftover_job_dirs(work_dir: &Path, _lock: &crate::lock::RunLock) -> usize {
    hyperexecute::remove_leftover_job_dirs(work_dir)
}

/// One job to launch, with its real job file.
pub struct Launchable {
    pub pool: String,
    pub udid: String,
    pub labels: Vec<String>,
    pub job_file: String,
    pub payload_dir: Option<PathBuf>,
}

/// How launches are run.
pub struct Launcher<'a> {
    pub cli: &'a Path,
    pub env: Vec<(&'static str, Secret)>,
    pub settings: &'a LaunchSettings,
    pub work_dir: &'a Path,
    pub redactor: &'a Redactor,
    /// The run lock, inherited by every launched CLI.
    pub lock: Option<&'a crate::lock::RunLock>,
}

/// The result of one launch.
#[derive(Debug, Clone, Serialize)]
pub struct LaunchRecord {
    pub pool: String,
    pub udid: String,
    pub launched: bool,
    pub exit_code: Option<i32>,
    pub job_id: Option<String>,
    pub error: Option<String>,
    /// CLI output, secrets redacted.
    pub output: String,
    pub duration_ms: u64,
}

impl Launcher<'_> {
    /// Launches everything, at most `settings.parallel` at once, starts `stagger` apart.
    pub fn launch_all(&self, jobs: Vec<Launchable>) -> Vec<LaunchRecord> {
        let next_start = Mutex::new(Instant::now());
        map_parallel(self.settings.parallel, jobs, |job| {
            wait_for_slot(&next_start, self.settings.stagger);
            self.launch_one(&job)
        })
    }

    fn launch_one(&self, job: &Launchable) -> LaunchRecord {
        let started = Instant::now();
        let outcome = hyperexecute::launch(
            &hyperexecute::Launch {
                cli: self.cli,
                labels: &job.labels,
                job_file: &job.job_file,
                payload_dir: job.payload_dir.as_deref(),
                work_dir: self.work_dir,
                env: &self.env,
                timeout: self.settings.timeout,
                lock: self.lock,
            },
            self.redactor,
        );
        let record = LaunchRecord {
            pool: job.pool.clone(),
            udid: job.udid.clone(),
            launched: outcome.error.is_none(),
            exit_code: outcome.exit_code,
            job_id: outcome.job_id,
            error: outcome.error,
            output: outcome.output,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        match &record.error {
            None => tracing::info!(pool = %record.pool, udid = %record.udid, "launched"),
            Some(e) => {
                tracing::warn!(pool = %record.pool, udid = %record.udid, "launch failed: {e}")
            }
        }
        record
    }
}

/// Sleeps until this launch's turn: turns are `stagger` apart.
fn wait_for_slot(next_start: &Mutex<Instant>, stagger: Duration) {
    let wait = {
        let mut next = next_start.lock().unwrap();
        let now = Instant::now();
        let at = (*next).max(now);
        *next = at + stagger;
        at - now
    };
    std::thread::sleep(wait);
}

/// The result of one deploy submission.
#[derive(Debug, Clone, Serialize)]
pub struct DeployRecord {
    pub rack: String,
    pub agent: String,
    pub submitted: bool,
    pub job_id: Option<String>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// Submits deploy jobs in parallel (at most `parallel` at once); one refusal never stops
/// the others.
pub fn submit_deploys(
    deploys: Vec<(String, crate::plan::Deploy)>,
    writer: &http::Writer,
    base: &str,
    bearer: Option<&Secret>,
    parallel: usize,
) -> Vec<DeployRecord> {
    map_parallel(parallel, deploys, |(rack, deploy)| {
        let started = Instant::now();
        let result = serde_saphyr::from_str::<serde_json::Value>(&deploy.job_file)
            .map_err(|e| format!("the rendered job is not YAML: {e}"))
            .and_then(|job| {
                testflinger::submit_job(writer, base, bearer, &job).map_err(|e| e.to_string())
            });
        let record = DeployRecord {
            rack,
            agent: deploy.agent,
            submitted: result.is_ok(),
            job_id: result.as_ref().ok().cloned(),
            error: result.err(),
            duration_ms: started.elapsed().as_millis() as u64,
        };
        match &record.error {
            None => tracing::info!(rack = %record.rack, agent = %record.agent, "deploy submitted"),
            Some(e) => {
                tracing::warn!(rack = %record.rack, agent = %record.agent, "deploy refused: {e}")
            }
        }
        record
    })
}

/// What an apply did: the plan it worked from, each launch, and what it skipped.
#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub plan: crate::plan::Plan,
    pub launches: Vec<LaunchRecord>,
    /// Deploy jobs submitted to Testflinger.
    pub deploys: Vec<DeployRecord>,
    /// Runners started and removed.
    pub runners: Vec<runners::RunnerRecord>,
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

/// A planned start that was not attempted.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub pool: String,
    pub udid: String,
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
