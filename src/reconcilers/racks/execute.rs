//! Carrying out a rack's deploys: each deploy job rendered again with real values, then, per
//! agent and in parallel over agents, its stuck jobs cancelled (`POST /v1/job/<id>/action`)
//! and the job submitted to Testflinger (`POST /v1/job`), with a bearer token when the server
//! wants one. A failed cancel stops only its own agent's deploy; one refusal never stops the
//! others. Decides nothing.

use std::time::Instant;

use super::model::{Deploy, RackPlan};
use crate::clients::http::Reader;
use crate::clients::http_send::Writer;
use crate::clients::testflinger::bearer;
use crate::clients::testflinger::submit::{self as testflinger, Cancelled};
use crate::parallel::map_parallel;
use crate::reconcilers::record::{Action, ActionError, ActionRecord, ErrorClass, Kind, Outcome};
use crate::reconcilers::{KindPlan, Run, Secrets};
use crate::secret::Secret;

/// The action this kind exists for; `Action::CancelDeploy` goes before it when needed.
const DEPLOY: Action = Action::Deploy;

/// Records of a deploy and the cancels before it, none tried, all failed with `error`.
fn not_tried(rack: &str, deploy: &Deploy, error: &ActionError) -> Vec<ActionRecord> {
    let cancels = deploy.cancel_first.iter().map(|stuck| {
        let mut record = ActionRecord::new(Kind::Rack, rack, Action::CancelDeploy, &deploy.agent);
        record.job_id = Some(stuck.job_id.clone());
        record
    });
    let deploy = ActionRecord::new(Kind::Rack, rack, DEPLOY, &deploy.agent);
    let all = cancels.chain(std::iter::once(deploy));
    all.map(|record| record.fail(error.clone())).collect()
}

/// Submits the kept rack deploys.
pub(crate) fn execute(run: &Run<'_>, kept: &[RackPlan]) -> Vec<ActionRecord> {
    let mut skipped = Vec::new();
    let desired = &run.loaded.desired;
    let Some(tf) = &desired.sources.testflinger else {
        let not_tried = ActionError::new(ErrorClass::NotTried, "not tried: no sources.testflinger");
        let deploys = kept
            .iter()
            .flat_map(|r| r.deploys.iter().map(move |d| (r, d)));
        return deploys
            .flat_map(|(rack, deploy)| self::not_tried(&rack.rack, deploy, &not_tried))
            .collect();
    };
    // The kept job files are redacted: render them again with the real values.
    let mut real = kept.to_vec();
    for rack in &mut real {
        rack.render(run.templates, desired, Secrets::Real(run.tokens));
    }
    let mut jobs: Vec<(String, Deploy)> = Vec::new();
    for (planned, real) in kept.iter().zip(&real) {
        if planned.deploys.len() != real.deploys.len() {
            let why = format!("job file cannot be rendered: {}", real.reason);
            let error = ActionError::new(ErrorClass::Render, why);
            for deploy in &planned.deploys {
                skipped.extend(not_tried(&planned.rack, deploy, &error));
            }
            continue;
        }
        jobs.extend(real.deploys.iter().map(|d| (real.rack.clone(), d.clone())));
    }
    if jobs.is_empty() {
        return skipped;
    }
    let reader = Reader::new(&desired.settings.http, run.redactor.clone());
    let bearer = match bearer(desired, &reader, run.credentials, run.now) {
        Ok(bearer) => bearer,
        Err(e) => {
            let error =
                ActionError::new(ErrorClass::NotTried, format!("no Testflinger token: {e}"));
            let records = jobs.iter().flat_map(|(rack, d)| not_tried(rack, d, &error));
            return records.chain(skipped).collect();
        }
    };
    let writer = Writer::new(&desired.settings.http, run.redactor.clone())
        .recording_sends(run.sends.clone());
    let mut records = submit_deploys(
        jobs,
        &writer,
        &tf.url,
        bearer.as_ref(),
        desired.settings.launch.parallel,
    );
    records.append(&mut skipped);
    records
}

/// Per agent, in parallel over agents (at most `parallel` at once): cancels its stuck jobs,
/// then submits its deploy job. A failed cancel leaves that agent undeployed (its old job may
/// still start); one refusal never stops the other agents.
fn submit_deploys(
    deploys: Vec<(String, Deploy)>,
    writer: &Writer,
    base: &str,
    bearer: Option<&Secret>,
    parallel: usize,
) -> Vec<ActionRecord> {
    let per_agent = map_parallel(parallel, deploys, |(rack, deploy)| {
        let mut records = cancel_stuck(writer, (base, bearer), &rack, &deploy);
        if let Some(failed) = records.iter().find(|r| r.outcome != Outcome::Done) {
            let why = failed.error.as_ref().map_or("", |e| e.message.as_str());
            let error = ActionError::new(
                ErrorClass::NotTried,
                format!(
                    "not tried: cancelling stuck job {} failed: {why}",
                    failed.job_id.as_deref().unwrap_or_default()
                ),
            );
            let record = ActionRecord::new(Kind::Rack, &rack, DEPLOY, &deploy.agent);
            records.push(record.fail(error));
            return records;
        }
        records.push(submit_deploy(writer, (base, bearer), &rack, &deploy));
        records
    });
    per_agent.into_iter().flatten().collect()
}

/// Cancels each stuck job of `deploy`, stopping at the first failure. A 400 "already completed
/// or cancelled" is done: the job has ended, which is what the cancel wanted.
fn cancel_stuck(
    writer: &Writer,
    (base, bearer): (&str, Option<&Secret>),
    rack: &str,
    deploy: &Deploy,
) -> Vec<ActionRecord> {
    let mut records = Vec::new();
    for stuck in &deploy.cancel_first {
        let started = Instant::now();
        let mut record = ActionRecord::new(Kind::Rack, rack, Action::CancelDeploy, &deploy.agent);
        record.job_id = Some(stuck.job_id.clone());
        let result = testflinger::cancel_job(writer, base, bearer, &stuck.job_id);
        record.duration_ms = started.elapsed().as_millis() as u64;
        match result {
            Ok(answer) => {
                tracing::info!(rack = %rack, agent = %deploy.agent, job = %stuck.job_id, "stuck deploy cancelled");
                record.outcome = Outcome::Done;
                record.note = Some(match answer {
                    Cancelled::Now => format!("stuck: {}", stuck.reason),
                    Cancelled::AlreadyEnded => "already ended (completed or cancelled)".into(),
                });
                records.push(record);
            }
            Err(e) => {
                tracing::warn!(rack = %rack, job = %stuck.job_id, "cancel refused: {e}");
                records.push(record.fail(ActionError::api(&e)));
                break;
            }
        }
    }
    records
}

/// Submits one deploy job.
fn submit_deploy(
    writer: &Writer,
    (base, bearer): (&str, Option<&Secret>),
    rack: &str,
    deploy: &Deploy,
) -> ActionRecord {
    let started = Instant::now();
    let result = serde_saphyr::from_str::<serde_json::Value>(&deploy.job_file)
        .map_err(|e| {
            let why = format!("the rendered job is not YAML: {e}");
            ActionError::new(ErrorClass::Render, why)
        })
        .and_then(|job| {
            testflinger::submit_job(writer, base, bearer, &job).map_err(|e| ActionError::api(&e))
        });
    let mut record = ActionRecord::new(Kind::Rack, rack, DEPLOY, &deploy.agent);
    record.duration_ms = started.elapsed().as_millis() as u64;
    match result {
        Ok(job_id) => {
            tracing::info!(rack = %rack, agent = %deploy.agent, "deploy submitted");
            record.job_id = Some(job_id);
            record.outcome = Outcome::Done;
            record
        }
        Err(e) => {
            tracing::warn!(rack = %rack, agent = %deploy.agent, "deploy refused: {}", e.message);
            record.fail(e)
        }
    }
}
