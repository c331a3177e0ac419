//! Carrying out a rack's deploys: each deploy job rendered again with real values, then
//! submitted to Testflinger (`POST /v1/job`) in parallel, with a bearer token when the server
//! wants one. One refusal never stops the others. Decides nothing.

use std::time::Instant;

use super::model::{Deploy, RackPlan};
use crate::clients::http::Reader;
use crate::clients::http_send::Writer;
use crate::clients::testflinger::bearer;
use crate::clients::testflinger::submit as testflinger;
use crate::parallel::map_parallel;
use crate::reconcilers::record::{Action, ActionError, ActionRecord, ErrorClass, Kind, Outcome};
use crate::reconcilers::{KindPlan, Run, Secrets};
use crate::secret::Secret;

/// The one action this kind carries out.
const DEPLOY: Action = Action::Deploy;

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
            .map(|(rack, deploy)| {
                let record = ActionRecord::new(Kind::Rack, &rack.rack, DEPLOY, &deploy.agent);
                record.fail(not_tried.clone())
            })
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
            for deploy in &planned.deploys {
                let record = ActionRecord::new(Kind::Rack, &planned.rack, DEPLOY, &deploy.agent);
                let why = format!("job file cannot be rendered: {}", real.reason);
                skipped.push(record.fail(ActionError::new(ErrorClass::Render, why)));
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
            let why = format!("no Testflinger token: {e}");
            let not_tried = jobs.into_iter().map(|(rack, deploy)| {
                let record = ActionRecord::new(Kind::Rack, &rack, DEPLOY, &deploy.agent);
                record.fail(ActionError::new(ErrorClass::NotTried, why.clone()))
            });
            return not_tried.chain(skipped).collect();
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

/// Submits deploy jobs in parallel (at most `parallel` at once); one refusal never stops
/// the others.
fn submit_deploys(
    deploys: Vec<(String, Deploy)>,
    writer: &Writer,
    base: &str,
    bearer: Option<&Secret>,
    parallel: usize,
) -> Vec<ActionRecord> {
    map_parallel(parallel, deploys, |(rack, deploy)| {
        let started = Instant::now();
        let result = serde_saphyr::from_str::<serde_json::Value>(&deploy.job_file)
            .map_err(|e| {
                let why = format!("the rendered job is not YAML: {e}");
                ActionError::new(ErrorClass::Render, why)
            })
            .and_then(|job| {
                testflinger::submit_job(writer, base, bearer, &job)
                    .map_err(|e| ActionError::api(&e))
            });
        let mut record = ActionRecord::new(Kind::Rack, &rack, DEPLOY, &deploy.agent);
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
    })
}
