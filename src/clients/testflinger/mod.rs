//! Testflinger reads: every agent record (one `GET /v1/agents/data` per run), our jobs by tag
//! search, and a job's result (204 = none yet). The OAuth2 client-credentials token is in
//! `token.rs`; submitting and cancelling a job, the mutations, are in `submit.rs`.
//! The body decoders (`decode_agents`, `decode_jobs`, `decode_result`, `decode_token`) are the
//! very mapping the fetches use, so `clients::decode` can fuzz them without a server.

pub mod definition;
mod result;
pub mod submit;
mod token;

pub(crate) use result::decode_result;
pub use result::{RESULT_MAX_BYTES, fetch_result};
pub(crate) use token::decode_token;
pub use token::{Token, TokenSource, bearer, fetch_token};

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http::{ApiError, Failure, Get, Reader, encode_component};
use crate::secret::Secret;

const API: &str = "testflinger";
/// Most bytes read of one job definition (`GET /v1/job/<id>`) for its tags.
const DEFINITION_MAX_BYTES: u64 = 1024 * 1024;

#[derive(Deserialize)]
struct WireAgent {
    name: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    queues: Vec<String>,
    #[serde(default)]
    location: String,
    #[serde(default)]
    job_id: Option<String>,
    #[serde(default)]
    updated_at: Option<String>,
    #[serde(default)]
    provision_streak_type: Option<String>,
    #[serde(default)]
    provision_streak_count: Option<u64>,
    #[serde(default)]
    restricted_to: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
struct WireJob {
    job_id: String,
    job_state: String,
    #[serde(default)]
    created_at: Option<String>,
}

#[derive(Deserialize)]
struct WireDefinition {
    #[serde(default)]
    tags: Vec<String>,
}

fn url(base: &str, path: &str) -> String {
    format!("{}{path}", base.trim_end_matches('/'))
}

fn parse_time(raw: Option<&str>) -> Option<Timestamp> {
    raw.and_then(|r| r.parse::<Timestamp>().ok())
}

/// `GET /v1/agents/data`: every agent's raw record (no pagination).
pub fn fetch_agents(
    reader: &Reader,
    base: &str,
    bearer: Option<&Secret>,
) -> Result<Vec<TestflingerAgent>, ApiError> {
    let auth = bearer.map(Secret::bearer);
    let wire: Vec<WireAgent> = reader.get_json(&Get {
        api: API,
        url: url(base, "/v1/agents/data"),
        query: Vec::new(),
        authorization: auth.as_ref().map(Secret::expose),
    })?;
    Ok(agents_from_wire(wire))
}

/// Decodes a `/v1/agents/data` body exactly as `fetch_agents` does.
pub(crate) fn decode_agents(body: &str) -> Result<Vec<TestflingerAgent>, String> {
    let wire: Vec<WireAgent> = serde_json::from_str(body).map_err(|e| e.to_string())?;
    Ok(agents_from_wire(wire))
}

/// Agent records; an empty `job_id` (what an idle agent sends) is `None`.
fn agents_from_wire(wire: Vec<WireAgent>) -> Vec<TestflingerAgent> {
    wire.into_iter()
        .map(|a| TestflingerAgent {
            updated_at: parse_time(a.updated_at.as_deref()),
            name: a.name,
            state: a.state,
            queues: a.queues,
            location: a.location,
            job_id: a.job_id.filter(|id| !id.is_empty()),
            provision_streak_type: a.provision_streak_type,
            provision_streak_count: a.provision_streak_count,
            restricted_to: a.restricted_to,
        })
        .collect()
}

/// `GET /v1/job/search?tags=..&match=all[&state=active]`: jobs carrying **all** `tags`;
/// with `active_only`, only those not complete/completed/cancelled.
pub fn search_jobs(
    reader: &Reader,
    base: &str,
    bearer: Option<&Secret>,
    tags: &[String],
    active_only: bool,
) -> Result<Vec<TestflingerJob>, ApiError> {
    search(reader, (base, bearer), tags, "all", active_only)
}

/// `GET /v1/job/search?tags=..&match=any&state=active`: the jobs not ended carrying **any**
/// of `tags` (one request for many agents; the answer says nothing of which tag matched).
pub fn search_active_jobs_with_any(
    reader: &Reader,
    base: &str,
    bearer: Option<&Secret>,
    tags: &[String],
) -> Result<Vec<TestflingerJob>, ApiError> {
    search(reader, (base, bearer), tags, "any", true)
}

fn search(
    reader: &Reader,
    (base, bearer): (&str, Option<&Secret>),
    tags: &[String],
    matching: &str,
    active_only: bool,
) -> Result<Vec<TestflingerJob>, ApiError> {
    let endpoint = url(base, "/v1/job/search");
    if tags.is_empty() {
        // Without tags the server lists every job of every user: never what we mean.
        return Err(ApiError {
            api: API,
            method: "GET",
            url: endpoint,
            failure: Failure::Protocol("a job search needs at least one tag".into()),
        });
    }
    let mut query: Vec<(&str, String)> = tags.iter().map(|t| ("tags", t.clone())).collect();
    query.push(("match", matching.into()));
    if active_only {
        query.push(("state", "active".into()));
    }
    let auth = bearer.map(Secret::bearer);
    let wire: Vec<WireJob> = reader.get_json(&Get {
        api: API,
        url: endpoint,
        query,
        authorization: auth.as_ref().map(Secret::expose),
    })?;
    Ok(jobs_from_wire(wire))
}

/// Decodes a `/v1/job/search` body exactly as `search_jobs` does.
pub(crate) fn decode_jobs(body: &str) -> Result<Vec<TestflingerJob>, String> {
    let wire: Vec<WireJob> = serde_json::from_str(body).map_err(|e| e.to_string())?;
    Ok(jobs_from_wire(wire))
}

fn jobs_from_wire(wire: Vec<WireJob>) -> Vec<TestflingerJob> {
    wire.into_iter()
        .map(|j| TestflingerJob {
            created_at: parse_time(j.created_at.as_deref()),
            job_id: j.job_id,
            job_state: j.job_state,
        })
        .collect()
}

/// `GET /v1/job/<id>`: the tags the job was submitted with (the search returns none), read
/// under `DEFINITION_MAX_BYTES`; empty on 204 (the job is gone).
pub fn fetch_job_tags(
    reader: &Reader,
    base: &str,
    bearer: Option<&Secret>,
    job_id: &str,
) -> Result<Vec<String>, ApiError> {
    let auth = bearer.map(Secret::bearer);
    let wire: Option<WireDefinition> =
        reader
            .capped(DEFINITION_MAX_BYTES)
            .get_json_or_no_content(&Get {
                api: API,
                url: url(base, &format!("/v1/job/{}", encode_component(job_id))),
                query: Vec::new(),
                authorization: auth.as_ref().map(Secret::expose),
            })?;
    Ok(wire.map(|w| w.tags).unwrap_or_default())
}

/// A Testflinger agent record. Optional fields are `None` when the agent never sent them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestflingerAgent {
    pub name: String,
    /// `waiting` when idle; `offline`, `maintenance`, `restart`, or the phase of a running job.
    pub state: String,
    pub queues: Vec<String>,
    pub location: String,
    /// The job the agent runs; `None` when idle (the API sends `""`).
    pub job_id: Option<String>,
    #[schemars(with = "Option<String>")]
    pub updated_at: Option<Timestamp>,
    /// `pass` or `fail` (undocumented, computed from provision logs).
    pub provision_streak_type: Option<String>,
    pub provision_streak_count: Option<u64>,
    /// The restricted queues among its `queues`, each with the client ids that own it (the
    /// server adds it, testflinger#720). An agent with an owned restricted queue polls only
    /// those (testflinger#724).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub restricted_to: BTreeMap<String, Vec<String>>,
}

impl TestflingerAgent {
    /// The queues the agent asks jobs from: its restricted queues that have an owner when it
    /// has any, else every queue it lists; in its own `queues` order.
    pub fn polled_queues(&self) -> Vec<&str> {
        let owned = |q: &str| self.restricted_to.get(q).is_some_and(|o| !o.is_empty());
        let listed = self.queues.iter().map(String::as_str);
        let mut restricted: Vec<&str> = listed.clone().filter(|q| owned(q)).collect();
        // The agent asks for every owned key, listed or not (the server builds the map from
        // the listed queues, so this is only a safeguard).
        let unlisted = (self.restricted_to.keys().map(String::as_str))
            .filter(|q| owned(q) && !restricted.contains(q));
        restricted.extend(unlisted.collect::<Vec<_>>());
        if restricted.is_empty() {
            listed.collect()
        } else {
            restricted
        }
    }
}

/// A Testflinger job found by a tag search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestflingerJob {
    pub job_id: String,
    pub job_state: String,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
}

impl TestflingerJob {
    /// `complete` (what agents post), `completed` and `cancelled` are final.
    pub fn has_ended(&self) -> bool {
        is_final_job_state(&self.job_state)
    }
}

/// True for the job states after which a Testflinger job never changes again.
pub fn is_final_job_state(job_state: &str) -> bool {
    matches!(job_state, "complete" | "completed" | "cancelled")
}

/// `GET /v1/result/<id>` once results exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestflingerResult {
    pub job_state: String,
    /// Exit code per reported phase (`provision_status` → `provision`), 0 = success.
    pub phase_status: BTreeMap<String, i64>,
}

impl TestflingerResult {
    /// The provision phase's exit code, once reported.
    pub fn provision_status(&self) -> Option<i64> {
        self.phase_status.get("provision").copied()
    }
}

#[cfg(test)]
mod tests;
