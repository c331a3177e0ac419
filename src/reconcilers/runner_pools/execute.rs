//! The runner-pool part of `apply`: builds the GitLab and Docker clients from the prepared
//! settings (negotiating the Docker API version first) and runs every kept start and removal
//! in parallel under the launch cap.

use std::sync::Mutex;

use super::actions::RunnerExecutor;
use super::model::RunnerPoolPlan;
use super::recheck::{removal_action, removal_name};
use crate::clients::docker::DockerHost;
use crate::clients::docker::version::negotiate;
use crate::clients::docker::write::writer_for;
use crate::clients::http::Reader;
use crate::clients::http_send::Writer;
use crate::parallel::{Task, run_parallel};
use crate::reconcilers::Run;
use crate::reconcilers::record::{Action, ActionError, ActionRecord, ErrorClass, Kind};

/// Carries out the kept runner starts and removals of `kept`.
/// Every request sent is recorded in `sends`.
pub(crate) fn execute(run: &Run<'_>, kept: &[RunnerPoolPlan]) -> Vec<ActionRecord> {
    let desired = &run.loaded.desired;
    let sends = run.sends.clone();
    let actions = kept
        .iter()
        .map(|p| p.starts.len() + p.removals.len())
        .sum::<usize>();
    if actions == 0 {
        return Vec::new();
    }
    let Some(gl) = &desired.sources.gitlab else {
        return refuse_every_action(kept, "no sources.gitlab");
    };
    let redactor = run.redactor;
    let host = match DockerHost::parse(&run.credentials.docker_host) {
        Ok(host) => host,
        Err(e) => return refuse_every_action(kept, &format!("bad Docker host: {e}")),
    };
    let gitlab_reader = Reader::new(&desired.settings.http, redactor.clone());
    let gitlab_writer =
        Writer::new(&desired.settings.http, redactor.clone()).recording_sends(sends.clone());
    let docker_writer =
        writer_for(&host, &desired.settings.http, redactor.clone()).recording_sends(sends);
    let docker_reader = host.reader(&desired.settings.http, redactor.clone());
    let spoken = match negotiate(&docker_reader, &host.base_url()) {
        Ok(spoken) => spoken,
        Err(e) => return refuse_every_action(kept, &e.to_string()),
    };
    let executor = RunnerExecutor {
        desired,
        templates: run.templates,
        gitlab_reader: &gitlab_reader,
        gitlab_writer: &gitlab_writer,
        gitlab_base: &gl.url,
        token: &run.credentials.gitlab_token,
        docker_writer: &docker_writer,
        docker_base: &spoken.base,
        docker_api: spoken.version,
    };
    let records = Mutex::new(Vec::new());
    let mut tasks: Vec<Task<'_>> = Vec::new();
    for pool in kept {
        // Removals first in the list, so a full pool frees room before it grows.
        for removal in &pool.removals {
            let (executor, records) = (&executor, &records);
            tasks.push(Box::new(move || {
                let record = executor.remove(&pool.pool, removal);
                records.lock().unwrap().push(record);
            }));
        }
        for start in &pool.starts {
            let (executor, records) = (&executor, &records);
            tasks.push(Box::new(move || {
                let record = executor.start(&pool.pool, start);
                records.lock().unwrap().push(record);
            }));
        }
    }
    run_parallel(desired.settings.launch.parallel, tasks);
    let mut records = records.into_inner().unwrap();
    records.sort_by(|a, b| (&a.pool, a.action, &a.target).cmp(&(&b.pool, b.action, &b.target)));
    for record in &records {
        match &record.error {
            None => {
                tracing::info!(pool = %record.pool, action = ?record.action, "{}", record.target)
            }
            Some(e) => {
                tracing::warn!(pool = %record.pool, action = ?record.action, "{} failed: {}", record.target, e.message)
            }
        }
    }
    records
}

/// A failed record for every kept action, none of them tried: the daemon cannot be spoken to.
fn refuse_every_action(kept: &[RunnerPoolPlan], error: &str) -> Vec<ActionRecord> {
    tracing::error!("runner pools: {error}");
    let not_tried = ActionError::new(ErrorClass::NotTried, format!("not tried: {error}"));
    let mut records = Vec::new();
    for pool in kept {
        for removal in &pool.removals {
            let action = removal_action(removal);
            let mut record =
                ActionRecord::new(Kind::RunnerPool, &pool.pool, action, &removal_name(removal));
            record.runner_id = removal.runner_id;
            record.container_id = removal.container_id.clone();
            records.push(record.fail(not_tried.clone()));
        }
        for start in &pool.starts {
            let record = ActionRecord::new(
                Kind::RunnerPool,
                &pool.pool,
                Action::StartRunner,
                &start.name,
            );
            records.push(record.fail(not_tried.clone()));
        }
    }
    records
}
