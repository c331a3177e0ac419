//! Taskcluster reads: pending/claimed counts of a task queue and the quarantined workers of
//! its worker type. Anonymous, read-only; wire types stay private to this file.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Deserialize;

use super::http::{ApiError, Failure, Get, Reader, encode_component};

const API: &str = "taskcluster";
/// Most worker pages read for one worker type.
const MAX_PAGES: usize = 1000;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Counts {
    pending_tasks: u64,
    claimed_tasks: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkerPage {
    workers: Vec<Worker>,
    continuation_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Worker {
    worker_id: String,
    quarantine_until: Option<Timestamp>,
}

/// `GET /api/queue/v1/task-queues/<tq>/counts` → (pending, claimed).
pub fn fetch_counts(
    reader: &Reader,
    root_url: &str,
    task_queue: &str,
) -> Result<(u64, u64), ApiError> {
    let url = format!(
        "{}/api/queue/v1/task-queues/{}/counts",
        root_url.trim_end_matches('/'),
        encode_component(task_queue)
    );
    let counts: Counts = reader.get_json(&Get {
        api: API,
        url,
        query: Vec::new(),
        authorization: None,
    })?;
    Ok((counts.pending_tasks, counts.claimed_tasks))
}

/// Quarantined workers of the queue's worker type, every page read once.
pub fn fetch_quarantined(
    reader: &Reader,
    root_url: &str,
    task_queue: &str,
) -> Result<BTreeMap<String, Option<Timestamp>>, ApiError> {
    let (provisioner, worker_type) = task_queue.split_once('/').unwrap_or((task_queue, ""));
    let url = format!(
        "{}/api/worker-manager/v1/provisioners/{}/worker-types/{}/workers",
        root_url.trim_end_matches('/'),
        encode_component(provisioner),
        encode_component(worker_type)
    );
    let mut quarantined = BTreeMap::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = vec![
            ("quarantined", "true".to_string()),
            ("limit", "1000".to_string()),
        ];
        if let Some(t) = &token {
            query.push(("continuationToken", t.clone()));
        }
        let page: WorkerPage = reader.get_json(&Get {
            api: API,
            url: url.clone(),
            query,
            authorization: None,
        })?;
        for worker in page.workers {
            quarantined.insert(worker.worker_id, worker.quarantine_until);
        }
        match page.continuation_token {
            None => return Ok(quarantined),
            Some(next) if token.as_deref() == Some(next.as_str()) => {
                return Err(ApiError {
                    api: API,
                    method: "GET",
                    url,
                    failure: Failure::Protocol(format!(
                        "continuationToken {next:?} returned twice: pagination does not advance"
                    )),
                });
            }
            Some(next) => token = Some(next),
        }
    }
    Err(ApiError {
        api: API,
        method: "GET",
        url,
        failure: Failure::Protocol(format!("more than {MAX_PAGES} pages of workers")),
    })
}
