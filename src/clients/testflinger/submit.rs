//! The two mutating Testflinger calls: submitting one job (`POST /v1/job`) and cancelling one
//! (`POST /v1/job/<id>/action`). Retried only when the connection failed before any request
//! went out; a refusal (401, 403, 422) comes back with the server's message. Decides nothing
//! about what to submit or cancel.

use serde::Deserialize;
use serde_json::Value;

use crate::clients::http::ApiError;
use crate::clients::http_send::{Mutation, Payload, Writer};
use crate::secret::Secret;

const API: &str = "testflinger";

#[derive(Deserialize)]
struct JobId {
    job_id: String,
}

/// The server's words for a refusal: APIFlask's `message` plus any field `detail`, or the
/// plain-text body. Whole: `Writer::refused` redacts, then cuts.
fn server_message(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) if v["message"].is_string() => {
            let message = v["message"].as_str().unwrap_or_default();
            match &v["detail"] {
                Value::Object(d) if !d.is_empty() => format!("{message}: {}", v["detail"]),
                _ => message.to_string(),
            }
        }
        _ => body.to_string(),
    }
}

/// `POST <base>/v1/job` with `job_json`; returns the new job's id.
pub fn submit_job(
    writer: &Writer,
    base: &str,
    bearer: Option<&Secret>,
    job_json: &Value,
) -> Result<String, ApiError> {
    let auth = bearer.map(Secret::bearer);
    let m = Mutation {
        api: API,
        method: "POST",
        url: format!("{}/v1/job", base.trim_end_matches('/')),
        query: Vec::new(),
        authorization: auth.as_ref().map(Secret::expose),
        payload: Payload::Json(job_json.to_string()),
    };
    let answer = writer.send(&m)?;
    let text = answer.body.as_str();
    if answer.status != 200 {
        return Err(writer.refused(&m, &answer, &server_message(text)));
    }
    decode_submitted_job(text).map_err(|e| writer.undecodable(&m, e, text))
}

/// What the server said to a cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancelled {
    /// `200 OK`: the job is `cancelled` now.
    Now,
    /// `400 The job is already completed or cancelled`: it had ended (or is gone), which is
    /// what the cancel wanted.
    AlreadyEnded,
}

/// The plain-text 400 of a cancel whose job has ended or that the server does not know.
const ALREADY_ENDED: &str = "The job is already completed or cancelled";

/// `POST <base>/v1/job/<id>/action` with `{"action": "cancel"}`. Any other answer (another
/// 400 such as `Invalid job id`, 401, 403, 422, 5xx) is an error with the server's words.
pub fn cancel_job(
    writer: &Writer,
    base: &str,
    bearer: Option<&Secret>,
    job_id: &str,
) -> Result<Cancelled, ApiError> {
    let auth = bearer.map(Secret::bearer);
    let m = Mutation {
        api: API,
        method: "POST",
        url: format!(
            "{}/v1/job/{}/action",
            base.trim_end_matches('/'),
            crate::clients::http::encode_component(job_id)
        ),
        query: Vec::new(),
        authorization: auth.as_ref().map(Secret::expose),
        payload: Payload::Json(r#"{"action":"cancel"}"#.into()),
    };
    let answer = writer.send(&m)?;
    match (answer.status, answer.body.trim()) {
        (200, _) => Ok(Cancelled::Now),
        (400, ALREADY_ENDED) => Ok(Cancelled::AlreadyEnded),
        _ => Err(writer.refused(&m, &answer, &server_message(&answer.body))),
    }
}

/// The 200 body of `POST /v1/job` → the new job's id. The error does not quote the body:
/// the caller does, redacted.
pub(crate) fn decode_submitted_job(text: &str) -> Result<String, String> {
    let answer: JobId = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(answer.job_id)
}

#[cfg(test)]
#[path = "submit_tests.rs"]
mod tests;
