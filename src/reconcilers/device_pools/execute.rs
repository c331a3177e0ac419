//! Carrying out a device pool's starts: each job file rendered again with the real secrets,
//! then launched through the `hyperexecute` CLI, at most `launch.parallel` at once and
//! `launch.stagger` apart; one failed launch never stops the others. Decides nothing: what
//! to launch comes from the re-checked plan.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::model::DevicePoolPlan;
use crate::clients::lambdatest::hyperexecute;
use crate::load::LaunchSettings;
use crate::parallel::map_parallel;
use crate::reconcilers::record::{Action, ActionError, ActionRecord, ErrorClass, Kind, Outcome};
use crate::reconcilers::{KindPlan, Run, Secrets};
use crate::secret::{Redactor, Secret};

/// The one action this kind carries out.
const START: Action = Action::StartJob;

/// Launches the kept starts of `kept`, re-rendered with real secrets.
pub(crate) fn execute(run: &Run<'_>, kept: &[DevicePoolPlan]) -> Vec<ActionRecord> {
    let mut skipped = Vec::new();
    let desired = &run.loaded.desired;
    // The kept job files are redacted: render them again with the real secrets.
    let mut real = kept.to_vec();
    for pool in &mut real {
        pool.render(run.templates, desired, Secrets::Real(run.tokens));
    }
    let mut jobs = Vec::new();
    for (planned, real) in kept.iter().zip(&real) {
        for (start, real_start) in planned.starts.iter().zip(&real.starts) {
            let payload_dir = desired
                .device_pools
                .get(&planned.pool)
                .and_then(|p| p.payload_dir.as_ref())
                .map(|d| run.loaded.resolve(d));
            jobs.push(Launchable {
                pool: planned.pool.clone(),
                udid: start.udid.clone(),
                labels: start.labels.clone(),
                job_file: real_start.job_file.clone(),
                payload_dir,
            });
        }
        if planned.starts.len() != real.starts.len() {
            for start in &planned.starts {
                let record = ActionRecord::new(Kind::DevicePool, &planned.pool, START, &start.udid);
                let why = format!("job file cannot be rendered: {}", real.reason);
                skipped.push(record.fail(ActionError::new(ErrorClass::Render, why)));
            }
        }
    }
    let lt = desired.sources.lambdatest.as_ref();
    let cli = lt
        .map(|lt| resolve_program(run, &lt.cli))
        .unwrap_or_default();
    let launcher = Launcher {
        cli: &cli,
        env: vec![
            ("LT_USERNAME", run.credentials.lambdatest_username.clone()),
            (
                "LT_ACCESS_KEY",
                run.credentials.lambdatest_access_key.clone(),
            ),
        ],
        settings: &desired.settings.launch,
        work_dir: &run.state_dir.join("jobs"),
        redactor: run.redactor,
        lock: run.lock,
        sends: run.sends.clone(),
    };
    if jobs.is_empty() {
        return skipped;
    }
    let mut records = launcher.launch_all(jobs);
    records.append(&mut skipped);
    records
}

/// Removes the job directories (job files with real secrets) a killed run left under
/// `work_dir`; the caller holds the run lock.
pub(crate) fn remove_leftover_job_dirs(work_dir: &Path) -> Result<usize, crate::lock::UnsafeState> {
    hyperexecute::remove_leftover_job_dirs(work_dir)
}

/// The CLI to run: a bare name is looked up on PATH; a path is taken relative to the
/// desired-state file and made absolute (the CLI runs inside the job directory).
fn resolve_program(run: &Run<'_>, cli: &Path) -> PathBuf {
    if cli.components().count() == 1 && !cli.is_absolute() {
        return cli.to_path_buf();
    }
    let resolved = run.loaded.resolve(cli);
    std::path::absolute(&resolved).unwrap_or(resolved)
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
    /// Checked before every launch: no launch starts once the run's lease is lost.
    pub sends: Option<crate::lock::SendLog>,
}

impl Launcher<'_> {
    /// Launches everything, at most `settings.parallel` at once, starts `stagger` apart.
    pub fn launch_all(&self, jobs: Vec<Launchable>) -> Vec<ActionRecord> {
        let next_start = Mutex::new(Instant::now());
        map_parallel(self.settings.parallel, jobs, |job| {
            wait_for_slot(&next_start, self.settings.stagger);
            self.launch_one(&job)
        })
    }

    fn launch_one(&self, job: &Launchable) -> ActionRecord {
        if let Some(sends) = &self.sends
            && let Err(why) = sends.note_launch(self.settings.timeout)
        {
            let record = ActionRecord::new(Kind::DevicePool, &job.pool, START, &job.udid);
            tracing::warn!(pool = %job.pool, udid = %job.udid, "not launched: {why}");
            return record.fail(ActionError::new(
                ErrorClass::NotTried,
                format!("not started: {why}"),
            ));
        }
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
        let mut record = ActionRecord::new(Kind::DevicePool, &job.pool, START, &job.udid);
        record.exit_code = outcome.exit_code;
        record.job_id = outcome.job_id;
        record.output = Some(outcome.output);
        record.duration_ms = started.elapsed().as_millis() as u64;
        match outcome.error {
            None => {
                tracing::info!(pool = %job.pool, udid = %job.udid, "launched");
                record.outcome = Outcome::Done;
                record
            }
            Some(e) => {
                tracing::warn!(pool = %job.pool, udid = %job.udid, "launch failed: {e}");
                record.fail(ActionError::new(ErrorClass::Cli, e))
            }
        }
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
