//! One job's definition by id (`GET /v1/job/<id>`), read only for the queue a job of ours was
//! submitted to: the job search does not return it. Read-only; decides nothing.

use serde::Deserialize;

use super::{API, url};
use crate::clients::http::{ApiError, Get, Reader, encode_component};
use crate::secret::Secret;

#[derive(Deserialize)]
struct WireDefinition {
    job_queue: String,
}

/// `GET /v1/job/<id>` → the job's `job_queue`; `Ok(None)` on 204 (the server no longer has it).
pub fn fetch_job_queue(
    reader: &Reader,
    base: &str,
    bearer: Option<&Secret>,
    job_id: &str,
) -> Result<Option<String>, ApiError> {
    let auth = bearer.map(Secret::bearer);
    let wire: Option<WireDefinition> = reader.get_json_or_no_content(&Get {
        api: API,
        url: url(base, &format!("/v1/job/{}", encode_component(job_id))),
        query: Vec::new(),
        authorization: auth.as_ref().map(Secret::expose),
    })?;
    Ok(wire.map(|w| w.job_queue))
}
