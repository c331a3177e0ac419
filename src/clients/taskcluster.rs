//! Taskcluster reads: pending/claimed counts of a task queue, when its oldest pending task
//! was inserted, and the quarantined workers of its worker type. Anonymous, read-only; wire types stay private to this file. The body
//! decoders (`decode_counts`, `decode_worker_page`) are the very mapping the fetches use, so
//! `clients::decode` can fuzz them without a server.

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

/// A `listPendingTasks` page: only `inserted` of each task is read (the task definition
/// is not ours to decode).
#[derive(Deserialize)]
struct PendingPage {
    tasks: Vec<PendingTask>,
}

#[derive(Deserialize)]
struct PendingTask {
    inserted: Timestamp,
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
    last_date_active: Option<Timestamp>,
}

/// One page of workers, as decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuarantinedPage {
    /// `(workerId, quarantineUntil, lastDateActive)` in the server's order.
    pub workers: Vec<(String, Option<Timestamp>, Option<Timestamp>)>,
    /// Present when another page follows.
    pub continuation_token: Option<String>,
}

/// Decodes a `task-queues/<tq>/counts` body exactly as `fetch_counts` does: (pending, claimed).
pub(crate) fn decode_counts(body: &str) -> Result<(u64, u64), String> {
    let counts: Counts = serde_json::from_str(body).map_err(|e| e.to_string())?;
    Ok(counts_from_wire(counts))
}

/// Decodes a worker-manager `workers` page exactly as `fetch_quarantined` does.
pub(crate) fn decode_worker_page(body: &str) -> Result<QuarantinedPage, String> {
    let page: WorkerPage = serde_json::from_str(body).map_err(|e| e.to_string())?;
    Ok(page_from_wire(page))
}

fn counts_from_wire(counts: Counts) -> (u64, u64) {
    (counts.pending_tasks, counts.claimed_tasks)
}

fn page_from_wire(page: WorkerPage) -> QuarantinedPage {
    QuarantinedPage {
        workers: page
            .workers
            .into_iter()
            .map(|w| (w.worker_id, w.quarantine_until, w.last_date_active))
            .collect(),
        continuation_token: page.continuation_token,
    }
}

/// `<root>/api/queue/v1/task-queues/<tq>/<leaf>`, the queue id as one encoded segment.
fn task_queue_url(root_url: &str, task_queue: &str, leaf: &str) -> String {
    format!(
        "{}/api/queue/v1/task-queues/{}/{leaf}",
        root_url.trim_end_matches('/'),
        encode_component(task_queue)
    )
}

/// `GET /api/queue/v1/task-queues/<tq>/counts` → (pending, claimed).
pub fn fetch_counts(
    reader: &Reader,
    root_url: &str,
    task_queue: &str,
) -> Result<(u64, u64), ApiError> {
    let url = task_queue_url(root_url, task_queue, "counts");
    let counts: Counts = reader.get_json(&Get {
        api: API,
        url,
        query: Vec::new(),
        authorization: None,
    })?;
    Ok(counts_from_wire(counts))
}

/// `GET /api/queue/v1/task-queues/<tq>/pending?limit=1` → when the oldest pending task was
/// inserted (tasks come in insertion order, so the first page of one is enough); `None` when
/// nothing is pending. Needs the scope `queue:pending-list:<tq>` (403 without it).
pub fn fetch_oldest_pending(
    reader: &Reader,
    root_url: &str,
    task_queue: &str,
) -> Result<Option<Timestamp>, ApiError> {
    let url = task_queue_url(root_url, task_queue, "pending");
    let page: PendingPage = reader.get_json(&Get {
        api: API,
        url,
        query: vec![("limit", "1".to_string())],
        authorization: None,
    })?;
    Ok(page.tasks.first().map(|t| t.inserted))
}

/// What the worker list says: quarantined workers with the end of their quarantine, and when
/// each worker was last active (only when every worker was listed).
pub type WorkersSeen = (
    BTreeMap<String, Option<Timestamp>>,
    BTreeMap<String, Timestamp>,
);

/// The workers of the queue's worker type, every page read once: only the quarantined ones
/// (`quarantined=true`), or all of them when `every` (for their `lastDateActive`).
pub fn fetch_workers(
    reader: &Reader,
    root_url: &str,
    task_queue: &str,
    every: bool,
) -> Result<WorkersSeen, ApiError> {
    let (provisioner, worker_type) = task_queue.split_once('/').unwrap_or((task_queue, ""));
    let url = format!(
        "{}/api/worker-manager/v1/provisioners/{}/worker-types/{}/workers",
        root_url.trim_end_matches('/'),
        encode_component(provisioner),
        encode_component(worker_type)
    );
    let mut seen: WorkersSeen = (BTreeMap::new(), BTreeMap::new());
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut query = vec![("limit", "1000".to_string())];
        if !every {
            query.insert(0, ("quarantined", "true".to_string()));
        }
        if let Some(t) = &token {
            query.push(("continuationToken", t.clone()));
        }
        let wire: WorkerPage = reader.get_json(&Get {
            api: API,
            url: url.clone(),
            query,
            authorization: None,
        })?;
        let page = page_from_wire(wire);
        for (worker, until, last_active) in page.workers {
            if !every || until.is_some() {
                seen.0.insert(worker.clone(), until);
            }
            if let Some(at) = last_active.filter(|_| every) {
                seen.1.insert(worker, at);
            }
        }
        match page.continuation_token {
            None => return Ok(seen),
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
