//! The HTTP side of the fake Taskcluster: route parsing, argument validation, paging and the
//! real `{code, message, requestInfo}` error bodies. State and control live in `taskcluster.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::http::{Api, Request, Response, percent_decode};
use super::taskcluster::{MAX_LIMIT, State, Worker, lock};

const QUEUE: &str = "/api/queue/v1/";
const WORKER_MANAGER: &str = "/api/worker-manager/v1/";

pub(super) struct Handler(pub(super) Arc<Mutex<State>>);

/// A matched route: API method name, params for `requestInfo`, and what to do.
enum Route {
    Counts(String),
    Pending(String),
    ListPending(String),
    Workers(String, String),
}

impl Route {
    fn parse(req: &Request) -> Option<Route> {
        if req.method != "GET" {
            return None;
        }
        let decode = percent_decode;
        if let Some(rest) = req.path.strip_prefix(QUEUE) {
            if let Some(tq) = rest.strip_prefix("task-queues/") {
                if let Some(tq) = tq.strip_suffix("/pending") {
                    return Some(Route::ListPending(decode(tq)));
                }
                return tq
                    .strip_suffix("/counts")
                    .map(|tq| Route::Counts(decode(tq)));
            }
            return rest
                .strip_prefix("pending/")
                .map(|tq| Route::Pending(decode(tq)));
        }
        let rest = req.path.strip_prefix(WORKER_MANAGER)?;
        match rest.split('/').collect::<Vec<_>>()[..] {
            ["provisioners", p, "worker-types", w, "workers"] => {
                Some(Route::Workers(decode(p), decode(w)))
            }
            _ => None,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Route::Counts(_) => "taskQueueCounts",
            Route::Pending(_) => "pendingTasks",
            Route::ListPending(_) => "listPendingTasks",
            Route::Workers(..) => "listWorkers",
        }
    }

    fn params(&self) -> Value {
        match self {
            Route::Counts(tq) | Route::Pending(tq) | Route::ListPending(tq) => {
                json!({ "taskQueueId": tq })
            }
            Route::Workers(p, w) => json!({ "provisionerId": p, "workerType": w }),
        }
    }
}

/// The real error body: `{code, message, requestInfo:{method, params, payload, time}}`.
fn tc_error(status: u16, code: &str, message: &str, req: &Request) -> Response {
    let route = Route::parse(req);
    let body = json!({
        "code": code,
        "message": message,
        "requestInfo": {
            "method": route.as_ref().map_or("unknown", Route::name),
            "params": route.as_ref().map_or(json!({}), Route::params),
            "payload": {},
            "time": format!("{:.3}", Timestamp::now()),
        },
    });
    let resp = Response::json(status, &body);
    if status == 401 {
        return resp.with_header("www-authenticate", "hawk");
    }
    resp
}

fn code_for(status: u16) -> &'static str {
    match status {
        400 => "InvalidRequestArguments",
        401 => "AuthenticationFailed",
        403 => "InsufficientScopes",
        404 => "ResourceNotFound",
        409 => "RequestConflict",
        410 => "ResourceExpired",
        413 => "InputTooLarge",
        500 => "InternalServerError",
        // Not Taskcluster codes: these come from the ingress in production (unverified shape).
        429 => "TooManyRequests",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "InternalServerError",
    }
}

/// A `Hawk` header must carry quoted `id`, `ts` (digits), `nonce` and `mac` attributes.
fn hawk_is_well_formed(header: &str) -> bool {
    let Some(attrs) = header.strip_prefix("Hawk ") else {
        return false;
    };
    let mut found = HashMap::new();
    for part in attrs.split(',') {
        let Some((k, v)) = part.trim().split_once('=') else {
            return false;
        };
        let Some(v) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
            return false;
        };
        found.insert(k.to_string(), v.to_string());
    }
    ["id", "ts", "nonce", "mac"]
        .iter()
        .all(|k| found.get(*k).is_some_and(|v| !v.is_empty()))
        && found["ts"].bytes().all(|b| b.is_ascii_digit())
}

fn is_provisioner_id(s: &str) -> bool {
    (1..=38).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_worker_type(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=38).contains(&b.len())
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

impl Api for Handler {
    fn error(&self, status: u16, req: &Request) -> Response {
        let message = match status {
            500 => format!(
                "Internal Server Error, incidentId {:016x}.",
                Timestamp::now().as_nanosecond()
            ),
            _ => format!("Simulated error {status}"),
        };
        tc_error(status, code_for(status), &message, req)
    }

    fn handle(&self, req: &Request) -> Response {
        let Some(route) = Route::parse(req) else {
            let msg = format!("No such API endpoint: {} {}", req.method, req.path);
            return tc_error(404, "ResourceNotFound", &msg, req);
        };
        let auth = req.header("authorization");
        if let Some(h) = auth
            && (!hawk_is_well_formed(h) || req.query_param("bewit").is_some())
        {
            return tc_error(401, "AuthenticationFailed", "Bad Authorization header", req);
        }
        let state = lock(&self.0);
        let refused = match &route {
            Route::ListPending(_) => state.deny_anonymous || state.deny_pending_list,
            _ => state.deny_anonymous,
        };
        if auth.is_none() && refused {
            let msg = "Client anonymous does not have sufficient scopes for this request";
            return tc_error(403, "InsufficientScopes", msg, req);
        }
        match &route {
            Route::Counts(tq) | Route::Pending(tq) => {
                let (p, w) = tq.split_once('/').unwrap_or((tq, ""));
                if !is_provisioner_id(p) || !is_worker_type(w) {
                    let msg = format!("taskQueueId {tq:?} does not match the required pattern");
                    return tc_error(400, "InvalidRequestArguments", &msg, req);
                }
                let (pending, claimed) = state.counts.get(tq).copied().unwrap_or((0, 0));
                let mut body = json!({
                    "provisionerId": p, "workerType": w, "taskQueueId": tq, "pendingTasks": pending,
                });
                if matches!(route, Route::Counts(_)) {
                    body["claimedTasks"] = json!(claimed);
                }
                Response::json(200, &body)
            }
            Route::ListPending(tq) => list_pending(&state, tq, req),
            Route::Workers(p, w) => list_workers(&state, p, w, req),
        }
    }
}

/// `listPendingTasks`: the queue's pending tasks in insertion order, paged like every list.
fn list_pending(state: &State, tq: &str, req: &Request) -> Response {
    let bad = |msg: String| tc_error(400, "InvalidRequestArguments", &msg, req);
    let (p, w) = tq.split_once('/').unwrap_or((tq, ""));
    if !is_provisioner_id(p) || !is_worker_type(w) {
        return bad(format!(
            "taskQueueId {tq:?} does not match the required pattern"
        ));
    }
    let (limit, offset) = match page_window(req) {
        Ok(window) => window,
        Err(msg) => return bad(msg),
    };
    let empty = std::collections::VecDeque::new();
    let inserted = state.inserted.get(tq).unwrap_or(&empty);
    let end = (offset + limit.min(state.page_size)).min(inserted.len());
    let tasks: Vec<Value> = (offset..end)
        .map(|i| pending_task_json(p, w, i, inserted[i]))
        .collect();
    let mut body = json!({ "tasks": tasks });
    if end < inserted.len() {
        body["continuationToken"] = json!(encode_token(end));
    }
    Response::json(200, &body)
}

/// `limit` (1..=1000, default 1000) and the offset a `continuationToken` names.
fn page_window(req: &Request) -> Result<(usize, usize), String> {
    let limit = match req.query_param("limit") {
        None => MAX_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n > 0 => n.min(MAX_LIMIT),
            _ => return Err(format!("limit {l:?} is not a positive integer")),
        },
    };
    let offset = match req.query_param("continuationToken") {
        None => 0,
        Some(t) => decode_token(&t).ok_or("Invalid continuationToken")?,
    };
    Ok((limit, offset))
}

/// One pending task as `listPendingTasks` lists it: ids, the task definition and `inserted`.
fn pending_task_json(p: &str, w: &str, index: usize, inserted: Timestamp) -> Value {
    let created = format!("{inserted:.3}");
    let deadline = format!("{:.3}", inserted + jiff::SignedDuration::from_hours(24));
    json!({
        "taskId": task_id(p, w, index),
        "runId": 0,
        "inserted": created,
        "task": {
            "provisionerId": p,
            "workerType": w,
            "taskQueueId": format!("{p}/{w}"),
            "schedulerId": "gecko-level-3",
            "projectId": "none",
            "taskGroupId": task_id(p, w, usize::MAX),
            "dependencies": [],
            "requires": "all-completed",
            "routes": [],
            "priority": "low",
            "retries": 5,
            "created": created,
            "deadline": deadline,
            "expires": deadline,
            "scopes": [],
            "payload": {},
            "metadata": {
                "name": format!("sim task {index}"),
                "description": "A pending task of the simulated fleet.",
                "owner": "sim@example.com",
                "source": "https://example.com/sim",
            },
            "tags": {},
            "extra": {},
        },
    })
}

/// A slugid-shaped task id (22 URL-safe base64 characters) unique to the queue and index.
fn task_id(p: &str, w: &str, index: usize) -> String {
    let mut bytes = [0u8; 16];
    let seed = format!("{p}/{w}#{index}");
    for (i, b) in seed.bytes().enumerate() {
        bytes[i % 16] = bytes[i % 16].wrapping_mul(31).wrapping_add(b);
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    URL_SAFE_NO_PAD.encode(bytes)
}

fn list_workers(state: &State, p: &str, w: &str, req: &Request) -> Response {
    let bad = |msg: String| tc_error(400, "InvalidRequestArguments", &msg, req);
    if !is_provisioner_id(p) || !is_worker_type(w) {
        return bad(format!("{p}/{w} is not a valid worker pool id"));
    }
    let (limit, offset) = match page_window(req) {
        Ok(window) => window,
        Err(msg) => return bad(msg),
    };
    let quarantined = match req.query_param("quarantined").as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(q) => return bad(format!("quarantined {q:?} must be true or false")),
    };
    let worker_state = req.query_param("workerState");
    if let Some(s) = &worker_state
        && !["requested", "running", "stopping", "stopped"].contains(&s.as_str())
    {
        return bad(format!("workerState {s:?} is not a valid state"));
    }
    let now = Timestamp::now();
    let pool = format!("{p}/{w}");
    // Standalone workers have state `standalone`, so any workerState filter excludes them all.
    let rows: Vec<&Worker> = state
        .workers
        .iter()
        .filter(|wk| wk.pool == pool && worker_state.is_none())
        .filter(|wk| quarantined.is_none_or(|q| q == wk.quarantine_until.is_some_and(|t| t > now)))
        .collect();
    let page = limit.min(state.page_size);
    let end = (offset + page).min(rows.len());
    let workers: Vec<Value> = rows
        .get(offset..end)
        .unwrap_or(&[])
        .iter()
        .map(|wk| worker_json(wk))
        .collect();
    let mut body = json!({ "workers": workers });
    if end < rows.len() {
        body["continuationToken"] = json!(encode_token(end));
    }
    Response::json(200, &body)
}

fn worker_json(w: &Worker) -> Value {
    let mut v = json!({
        "workerPoolId": w.pool,
        "workerGroup": "sim",
        "workerId": w.worker_id,
        "providerId": "none",
        "state": "standalone",
        "capacity": 1,
        "firstClaim": "2026-01-01T00:00:00.000Z",
    });
    if let Some(t) = w.quarantine_until {
        v["quarantineUntil"] = json!(format!("{t:.3}"));
    }
    if let Some(t) = w.last_date_active {
        v["lastDateActive"] = json!(format!("{t:.3}"));
    }
    v
}

fn encode_token(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("sim-offset:{offset}"))
}

fn decode_token(token: &str) -> Option<usize> {
    let raw = URL_SAFE_NO_PAD.decode(token).ok()?;
    String::from_utf8(raw)
        .ok()?
        .strip_prefix("sim-offset:")?
        .parse()
        .ok()
}
