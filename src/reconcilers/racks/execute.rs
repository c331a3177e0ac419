//! Carrying out a rack's deploys: each deploy job rendered again with real values, then
//! submitted to Testflinger (`POST /v1/job`) in parallel, with a bearer token when the server
//! wants one. One refusal never stops the others. Decides nothing.

use std::time::Instant;

use serde::Serialize;

use crate::clients::http::Reader;
use crate::clients::http_send::Writer;
use crate::clients::testflinger::bearer;
use crate::clients::testflinger::submit as testflinger;
use crate::parallel::map_parallel;
use crate::plan::{Deploy, Plan};
use crate::reconcilers::{KindPlan, Run, Secrets, Skipped};
use crate::secret::Secret;

/// Submits the kept rack deploys.
pub(crate) fn execute(run: &Run<'_>, kept: &Plan, skipped: &mut Vec<Skipped>) -> Vec<DeployRecord> {
    let desired = &run.loaded.desired;
    let Some(tf) = &desired.sources.testflinger else {
        return Vec::new();
    };
    // The kept job files are redacted: render them again with the real values.
    let mut real = kept.racks.clone();
    for rack in &mut real {
        rack.render(run.templates, desired, Secrets::Real(run.tokens));
    }
    let mut jobs: Vec<(String, Deploy)> = Vec::new();
    for (planned, real) in kept.racks.iter().zip(&real) {
        if planned.deploys.len() != real.deploys.len() {
            for deploy in &planned.deploys {
                skipped.push(Skipped {
                    pool: planned.rack.clone(),
                    udid: deploy.agent.clone(),
                    reason: format!("job file cannot be rendered: {}", real.reason),
                });
            }
            continue;
        }
        jobs.extend(real.deploys.iter().map(|d| (real.rack.clone(), d.clone())));
    }
    if jobs.is_empty() {
        return Vec::new();
    }
    let reader = Reader::new(&desired.settings.http, run.redactor.clone());
    let bearer = match bearer(desired, &reader, run.credentials, run.now) {
        Ok(bearer) => bearer,
        Err(e) => {
            return jobs
                .into_iter()
                .map(|(rack, deploy)| DeployRecord {
                    rack,
                    agent: deploy.agent,
                    submitted: false,
                    job_id: None,
                    error: Some(format!("no Testflinger token: {e}")),
                    duration_ms: 0,
                })
                .collect();
        }
    };
    let writer = Writer::new(&desired.settings.http, run.redactor.clone())
        .recording_sends(run.sends.clone());
    submit_deploys(
        jobs,
        &writer,
        &tf.url,
        bearer.as_ref(),
        desired.settings.launch.parallel,
    )
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
fn submit_deploys(
    deploys: Vec<(String, Deploy)>,
    writer: &Writer,
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
