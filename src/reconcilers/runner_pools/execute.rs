//! The runner-pool part of `apply`: builds the GitLab client and one Docker client per host
//! an action goes to (the one Docker host, or a pool's own `docker_hosts` as the plan placed
//! them; each negotiates its API version first) and runs every kept start and removal in
//! parallel under the launch cap, then the removals of outdated runners whose replacement
//! started (one whose replacement failed is kept), with the roll-out pauses (GitLab only). A
//! host that cannot be spoken to fails only its actions.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::actions::{RunnerExecutor, pause_for_rollout};
use super::model::{RemovalReason, RunnerPoolPlan, RunnerRemoval, RunnerStart};
use super::recheck::{pause_name, removal_action, removal_name};
use crate::clients::docker::connect::connect;
use crate::clients::docker::version::Negotiated;
use crate::clients::docker::write::writer_for;
use crate::clients::http::Reader;
use crate::clients::http_send::Writer;
use crate::parallel::{Task, run_parallel};
use crate::reconcilers::Run;
use crate::reconcilers::record::{Action, ActionError, ActionRecord, ErrorClass, Kind, Outcome};

/// Carries out the kept runner starts and removals of `kept`.
/// Every request sent is recorded in `sends`.
pub(crate) fn execute(run: &Run<'_>, kept: &[RunnerPoolPlan]) -> Vec<ActionRecord> {
    let desired = &run.loaded.desired;
    let actions = kept
        .iter()
        .map(|p| p.starts.len() + p.removals.len() + p.pauses.len())
        .sum::<usize>();
    if actions == 0 {
        return Vec::new();
    }
    let Some(gl) = &desired.sources.gitlab else {
        return refuse_every_action(kept, "no sources.gitlab");
    };
    let redactor = run.redactor;
    let gitlab_reader = Reader::new(&desired.settings.http, redactor.clone());
    let gitlab_writer =
        Writer::new(&desired.settings.http, redactor.clone()).recording_sends(run.sends.clone());
    let default_host = run.credentials.docker_host.as_str();
    let mut hosts = BTreeSet::new();
    for pool in kept {
        hosts.extend(
            pool.starts
                .iter()
                .map(|s| start_host(pool, s, default_host)),
        );
        hosts.extend(
            pool.removals
                .iter()
                .map(|r| removal_host(pool, r, default_host)),
        );
    }
    let connections: BTreeMap<&str, Result<(Writer, Negotiated), String>> = hosts
        .into_iter()
        .map(|host| (host, open_writer(run, host)))
        .collect();
    let executors: BTreeMap<&str, Result<RunnerExecutor<'_>, &str>> = connections
        .iter()
        .map(|(host, connection)| {
            let executor = connection
                .as_ref()
                .map_err(String::as_str)
                .map(|(writer, spoken)| RunnerExecutor {
                    desired,
                    templates: run.templates,
                    gitlab_reader: &gitlab_reader,
                    gitlab_writer: &gitlab_writer,
                    gitlab_base: &gl.url,
                    token: &run.credentials.gitlab_token,
                    docker_writer: writer,
                    docker_base: &spoken.base,
                    docker_api: spoken.version,
                });
            (*host, executor)
        })
        .collect();
    let records = Mutex::new(Vec::new());
    let mut tasks: Vec<Task<'_>> = Vec::new();
    for pool in kept {
        // Removals first in the list, so a full pool frees room before it grows. An outdated
        // runner's removal waits for its replacement's start (below).
        for removal in pool.removals.iter().filter(|r| !is_replaced(r)) {
            let records = &records;
            match &executors[removal_host(pool, removal, default_host)] {
                Ok(executor) => tasks.push(Box::new(move || {
                    let record = executor.remove(&pool.pool, removal);
                    records.lock().unwrap().push(record);
                })),
                Err(e) => records
                    .lock()
                    .unwrap()
                    .push(removal_not_tried(pool, removal, e)),
            }
        }
        for start in &pool.starts {
            let records = &records;
            match &executors[start_host(pool, start, default_host)] {
                Ok(executor) => tasks.push(Box::new(move || {
                    let record = executor.start(&pool.pool, start);
                    records.lock().unwrap().push(record);
                })),
                Err(e) => records
                    .lock()
                    .unwrap()
                    .push(start_not_tried(pool, start, e)),
            }
        }
    }
    run_parallel(desired.settings.launch.parallel, tasks);
    // Then each outdated runner whose replacement started; one whose did not is kept.
    let mut tasks: Vec<Task<'_>> = Vec::new();
    for pool in kept {
        for removal in pool.removals.iter().filter(|r| is_replaced(r)) {
            let records = &records;
            let started = replacement_started(pool, removal, &records.lock().unwrap());
            match (
                &executors[removal_host(pool, removal, default_host)],
                started,
            ) {
                (Ok(executor), Ok(())) => tasks.push(Box::new(move || {
                    let record = executor.remove(&pool.pool, removal);
                    records.lock().unwrap().push(record);
                })),
                (Err(e), _) => records
                    .lock()
                    .unwrap()
                    .push(removal_not_tried(pool, removal, e)),
                (Ok(_), Err(why)) => records
                    .lock()
                    .unwrap()
                    .push(removal_kept(pool, removal, why)),
            }
        }
    }
    // Roll-out pauses speak to GitLab only.
    let gitlab = (
        &gitlab_writer,
        gl.url.as_str(),
        &run.credentials.gitlab_token,
    );
    for pool in kept {
        for pause in &pool.pauses {
            let records = &records;
            tasks.push(Box::new(move || {
                let record = pause_for_rollout(gitlab, &pool.pool, pause);
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

/// A roll-out's removal of an outdated runner, run only once its replacement started.
fn is_replaced(removal: &RunnerRemoval) -> bool {
    removal.why == RemovalReason::Outdated
}

/// Whether the start replacing `removal`'s runner succeeded in `records`; why not, else.
fn replacement_started(
    pool: &RunnerPoolPlan,
    removal: &RunnerRemoval,
    records: &[ActionRecord],
) -> Result<(), String> {
    let start = pool
        .starts
        .iter()
        .find(|s| s.replaces.is_some() && s.replaces == removal.runner_id);
    let Some(start) = start else {
        return Err("kept: no start replaces it in this run".to_string());
    };
    let done = records.iter().any(|r| {
        r.action == Action::StartRunner && r.target == start.name && r.outcome == Outcome::Done
    });
    if done {
        Ok(())
    } else {
        Err(format!(
            "kept: its replacement {} did not start, so the outdated runner stays",
            start.name
        ))
    }
}

/// The record of an outdated runner kept because its replacement did not start.
fn removal_kept(pool: &RunnerPoolPlan, removal: &RunnerRemoval, why: String) -> ActionRecord {
    let action = removal_action(removal);
    let mut record =
        ActionRecord::new(Kind::RunnerPool, &pool.pool, action, &removal_name(removal));
    record.runner_id = removal.runner_id;
    record.container_id = removal.container_id.clone();
    record.note = Some(why);
    record.outcome = Outcome::Kept;
    record
}

/// The host the plan placed `start` on, else the one Docker host.
fn start_host<'a>(pool: &'a RunnerPoolPlan, start: &RunnerStart, default: &'a str) -> &'a str {
    pool.hosts
        .iter()
        .find(|h| h.starts.contains(&start.name))
        .map_or(default, |h| h.host.as_str())
}

/// The host of `removal`'s container. A runner without one (only GitLab is asked) of a pool
/// with hosts of its own goes to the first host that answered, so such a pool never needs the
/// one Docker host; else the one Docker host.
fn removal_host<'a>(
    pool: &'a RunnerPoolPlan,
    removal: &RunnerRemoval,
    default: &'a str,
) -> &'a str {
    let container = removal.container_id.as_ref();
    let placed = pool
        .hosts
        .iter()
        .find(|h| container.is_some_and(|c| h.removals.contains(c)));
    let any = || pool.hosts.iter().find(|h| h.answered);
    let host = match container {
        Some(_) => placed,
        None => any(),
    };
    host.map_or(default, |h| h.host.as_str())
}

/// A writer to `host` and the API version negotiated with it, or why not.
fn open_writer(run: &Run<'_>, host: &str) -> Result<(Writer, Negotiated), String> {
    let settings = &run.loaded.desired.settings.http;
    let connection = connect(host, settings, run.redactor).map_err(|e| e.to_string())?;
    let writer = writer_for(&connection.host, settings, run.redactor.clone())
        .recording_sends(run.sends.clone());
    Ok((writer, connection.spoken))
}

/// A failed record for every kept action, none of them tried.
fn refuse_every_action(kept: &[RunnerPoolPlan], error: &str) -> Vec<ActionRecord> {
    let mut records = Vec::new();
    for pool in kept {
        records.extend(
            pool.removals
                .iter()
                .map(|r| removal_not_tried(pool, r, error)),
        );
        records.extend(pool.starts.iter().map(|s| start_not_tried(pool, s, error)));
        records.extend(pool.pauses.iter().map(|p| {
            let target = pause_name(p);
            ActionRecord::new(Kind::RunnerPool, &pool.pool, Action::PauseRunner, &target)
                .fail(not_tried(error))
        }));
    }
    records
}

fn not_tried(error: &str) -> ActionError {
    tracing::error!("runner pools: {error}");
    ActionError::new(ErrorClass::NotTried, format!("not tried: {error}"))
}

fn removal_not_tried(pool: &RunnerPoolPlan, removal: &RunnerRemoval, error: &str) -> ActionRecord {
    let action = removal_action(removal);
    let mut record =
        ActionRecord::new(Kind::RunnerPool, &pool.pool, action, &removal_name(removal));
    record.runner_id = removal.runner_id;
    record.container_id = removal.container_id.clone();
    record.fail(not_tried(error))
}

fn start_not_tried(pool: &RunnerPoolPlan, start: &RunnerStart, error: &str) -> ActionRecord {
    ActionRecord::new(
        Kind::RunnerPool,
        &pool.pool,
        Action::StartRunner,
        &start.name,
    )
    .fail(not_tried(error))
}

#[cfg(test)]
#[path = "execute_tests.rs"]
mod tests;
