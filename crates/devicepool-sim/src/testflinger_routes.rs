//! The HTTP side of the fake Testflinger: the `authenticate`/`require_role` rules (bearer JWT,
//! anonymous contributor unless auth is required), the token exchange, results (204 when
//! unknown), job search, cancel and agent listings. Mixes JSON and plain-text bodies as the
//! real server does.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jiff::SignedDuration;
use serde_json::{Value, json};

use super::http::{Api, Request, Response};
use super::lambdatest::next_uuid;
use super::testflinger::{
    IssuedToken, JOB_STATES, State, TOKEN_LIFETIME_SECONDS, is_final, lock, tf_time,
};

/// Roles allowed to read and submit (everything a reconciler does).
const USERS: [&str; 3] = ["admin", "manager", "contributor"];
const ALL: [&str; 4] = ["admin", "manager", "contributor", "agent"];

pub(super) struct Handler(pub(super) Arc<Mutex<State>>);

/// An APIFlask error body.
pub(super) fn abort(status: u16, message: &str) -> Response {
    Response::json(status, &json!({"detail": {}, "message": message}))
}

/// An APIFlask validation error for one location (`json` or `query`).
pub(super) fn invalid(location: &str, fields: Value) -> Response {
    Response::json(
        422,
        &json!({"detail": {location: fields}, "message": "Validation error"}),
    )
}

fn html(status: u16, body: &str) -> Response {
    let mut r = Response::text(status, body);
    r.headers = vec![("Content-Type".into(), "text/html; charset=utf-8".into())];
    r
}

/// Who is calling: `client_id` is `None` for anonymous callers.
pub(super) struct Caller {
    pub(super) client_id: Option<String>,
}

impl Api for Handler {
    fn error(&self, status: u16, _req: &Request) -> Response {
        html(status, &format!("{status} error"))
    }

    fn handle(&self, req: &Request) -> Response {
        let mut st = lock(&self.0);
        let path = req.path.as_str();
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let roles: &[&str] = match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["v1", ""]) => return html(200, "Testflinger Server v1.5.0"),
            ("POST", ["v1", "oauth2", "token"]) => return issue_token(&mut st, req),
            ("GET", ["v1", "result", _]) | ("GET", ["v1", "agents", "data", _]) => &ALL,
            _ => &USERS,
        };
        let caller = match authenticate(&st, req, roles) {
            Ok(caller) => caller,
            Err(denied) => return denied,
        };
        match (req.method.as_str(), segments.as_slice()) {
            ("POST", ["v1", "job"]) => super::testflinger_job::submit(&mut st, &caller, req),
            ("GET", ["v1", "job", "search"]) => search(&st, req),
            ("GET", ["v1", "job", id]) => match find(&st, id) {
                Err(r) => r,
                Ok(None) => html(204, ""),
                Ok(Some(i)) => {
                    let mut def = st.jobs[i].definition.clone();
                    def["job_id"] = json!(id);
                    Response::json(200, &def)
                }
            },
            ("POST", ["v1", "job", id, "action"]) => cancel(&mut st, id, req),
            ("GET", ["v1", "result", id]) => result(&st, id),
            ("GET", ["v1", "agents", "data"]) => {
                let agents = st.agents.iter().map(|a| agent_record(&st, a)).collect();
                Response::json(200, &Value::Array(agents))
            }
            ("GET", ["v1", "agents", "data", name]) => {
                match st.agents.iter().find(|a| a["name"] == *name) {
                    Some(a) => Response::json(200, &agent_record(&st, a)),
                    None => Response::json(404, &json!({})),
                }
            }
            ("GET", ["v1", "queues", queue, "agents"]) => queue_agents(&st, queue),
            ("GET", ["v1", "queues", queue, "jobs"]) => {
                let jobs: Vec<Value> = st
                    .jobs
                    .iter()
                    .filter(|j| j.queue() == *queue)
                    .map(|j| {
                        json!({"job_id": j.job_id, "created_at": tf_time(j.created_at),
                        "job_state": j.job_state, "job_queue": queue})
                    })
                    .collect();
                if jobs.is_empty() {
                    return html(204, "");
                }
                Response::json(200, &Value::Array(jobs))
            }
            _ => html(404, &format!("Not found: {path}")),
        }
    }
}

/// A raw agent record as `jsonify` sends it (not through `AgentOut`), with the `restricted_to`
/// the server adds: its restricted queues that have owners.
fn agent_record(st: &State, agent: &serde_json::Map<String, Value>) -> Value {
    let mut a = agent.clone();
    let restricted = super::testflinger_restricted::restricted_to(&st.restricted, agent);
    a.insert("restricted_to".into(), restricted);
    Value::Object(a)
}

/// `authenticate` + `require_role`: a present token is always decoded; no token means an
/// anonymous contributor, or 401 when auth is required.
fn authenticate(st: &State, req: &Request, roles: &[&str]) -> Result<Caller, Response> {
    let Some(raw) = req.header("authorization").filter(|h| !h.is_empty()) else {
        if st.auth_required {
            return Err(abort(
                401,
                "Authentication is required for specified endpoint",
            ));
        }
        return Ok(Caller { client_id: None });
    };
    let token = raw.strip_prefix("Bearer ").unwrap_or(raw);
    let decodes = token.split('.').count() == 3
        && token.split('.').take(2).all(|part| {
            URL_SAFE_NO_PAD
                .decode(part)
                .ok()
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
                .is_some_and(|v| v.is_object())
        });
    if !decodes {
        return Err(abort(403, "Unable to decode token"));
    }
    let Some(issued) = st.tokens.iter().find(|t| t.token == token) else {
        return Err(abort(403, "Invalid Token signature"));
    };
    if issued.expires_at <= st.now {
        return Err(abort(401, "Token has expired"));
    }
    if !roles.contains(&issued.role.as_str()) {
        let message = format!("Specified action requires role: {}", roles.join(", "));
        return Err(abort(403, &message));
    }
    Ok(Caller {
        client_id: Some(issued.client_id.clone()),
    })
}

/// `POST /v1/oauth2/token`: HTTP Basic client credentials → a JWT-shaped access token.
fn issue_token(st: &mut State, req: &Request) -> Response {
    let Some(basic) = req.header("authorization") else {
        return html(401, "No authorization header specified");
    };
    let pair = basic
        .strip_prefix("Basic ")
        .and_then(|b| STANDARD.decode(b.trim()).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (id, secret) = pair
        .as_deref()
        .and_then(|p| p.split_once(':'))
        .unwrap_or_default();
    let Some(client) = st.clients.iter().find(|c| c.id == id && c.secret == secret) else {
        return html(401, "Invalid client id or client key");
    };
    let (client_id, role) = (client.id.clone(), client.role.clone());
    let allowed = super::testflinger_restricted::allowed_queues(&st.restricted, &client_id);
    let expires_at = st.now + SignedDuration::from_secs(TOKEN_LIFETIME_SECONDS);
    let claims = json!({"exp": expires_at.as_second(), "iat": st.now.as_second(),
        "sub": "access_token", "permissions": {"client_id": client_id, "role": role,
        "max_priority": {}, "allowed_queues": allowed, "max_reservation_time": {}}});
    let signature = URL_SAFE_NO_PAD.encode(next_uuid(&mut st.seed));
    let token = format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let refresh = next_uuid(&mut st.seed).replace('-', "");
    st.tokens.push(IssuedToken {
        token: token.clone(),
        client_id,
        role,
        expires_at,
    });
    Response::json(
        200,
        &json!({"access_token": token, "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_SECONDS, "refresh_token": refresh}),
    )
}

/// Python's `uuid.UUID(s)` acceptance: optional `urn:uuid:`, braces, hyphens anywhere.
pub(super) fn is_uuid(s: &str) -> bool {
    let hex = s.replace("urn:", "").replace("uuid:", "");
    let hex = hex.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    hex.len() == 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// Index of a job; `Err` is the 400 for a malformed id.
fn find(st: &State, id: &str) -> Result<Option<usize>, Response> {
    if !is_uuid(id) {
        return Err(abort(400, "Invalid job_id specified"));
    }
    Ok(st.jobs.iter().position(|j| j.job_id == id))
}

fn result(st: &State, id: &str) -> Response {
    let i = match find(st, id) {
        Err(r) => return r,
        Ok(None) => return html(204, ""),
        Ok(Some(i)) => i,
    };
    // `format_logs_as_results`, then the `ResultGet` schema: the state, each phase's exit code
    // and log, and `device_info` once posted.
    let job = &st.jobs[i];
    let mut body = json!({"job_state": job.job_state});
    for (phase, code) in &job.phase_status {
        body[format!("{phase}_status")] = json!(code);
    }
    // Grown logs are appended as text after the rest (each log starting with the one
    // posted): a log is written once either way, as a server never repeats a key.
    if st.result_log_bytes.is_none() {
        for (phase, log) in &job.phase_output {
            body[format!("{phase}_output")] = json!(log);
        }
    }
    if let Some(info) = &job.device_info {
        body["device_info"] = info.clone();
    }
    let mut response = Response::json(200, &body);
    if let Some(bytes) = st.result_log_bytes {
        super::testflinger_logs::append_grown_logs(&mut response.body, job, bytes);
    }
    response
}

fn search(st: &State, req: &Request) -> Response {
    let pairs = req.query_pairs();
    let all = |name: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    };
    let (tags, states) = (all("tags"), all("state"));
    let matching = req.query_param("match").unwrap_or_else(|| "any".into());
    if matching != "any" && matching != "all" {
        return invalid("query", json!({"match": ["Must be one of: any, all."]}));
    }
    if let Some(bad) = states
        .iter()
        .position(|s| !JOB_STATES.contains(&s.as_str()))
    {
        let message = format!("Must be one of: {}.", JOB_STATES.join(", "));
        return invalid("query", json!({"state": {bad.to_string(): [message]}}));
    }
    let found: Vec<Value> = st
        .jobs
        .iter()
        .filter(|j| {
            let have = j.tags();
            tags.is_empty()
                || match matching.as_str() {
                    "all" => tags.iter().all(|t| have.contains(&t.as_str())),
                    _ => tags.iter().any(|t| have.contains(&t.as_str())),
                }
        })
        .filter(|j| {
            if states.iter().any(|s| s == "active") {
                !is_final(&j.job_state)
            } else {
                states.is_empty() || states.contains(&j.job_state)
            }
        })
        .map(|j| json!({"job_id": j.job_id, "created_at": tf_time(j.created_at), "job_state": j.job_state}))
        .collect();
    Response::json(200, &Value::Array(found))
}

fn cancel(st: &mut State, id: &str, req: &Request) -> Response {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&req.body) else {
        return invalid(
            "json",
            json!({"action": ["Missing data for required field."]}),
        );
    };
    if let Some(extra) = body.keys().find(|k| *k != "action") {
        return invalid("json", json!({ extra: ["Unknown field."] }));
    }
    if body.get("action") != Some(&json!("cancel")) {
        return invalid("json", json!({"action": ["Must be one of: cancel."]}));
    }
    if !is_uuid(id) {
        return html(400, "Invalid job id\n");
    }
    match st
        .jobs
        .iter_mut()
        .find(|j| j.job_id == id && !is_final(&j.job_state))
    {
        Some(job) => {
            job.job_state = "cancelled".into();
            html(200, "OK")
        }
        None => html(400, "The job is already completed or cancelled"),
    }
}

fn queue_agents(st: &State, queue: &str) -> Response {
    const KEPT: [&str; 7] = [
        "name",
        "state",
        "queues",
        "location",
        "provision_type",
        "job_id",
        "comment",
    ];
    let agents: Vec<Value> = st
        .agents
        .iter()
        .filter(|a| {
            a["queues"]
                .as_array()
                .is_some_and(|q| q.iter().any(|x| x == queue))
        })
        .map(|a| {
            Value::Object(
                a.iter()
                    .filter(|(k, _)| KEPT.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        })
        .collect();
    if agents.is_empty() {
        return abort(404, &format!("Queue '{queue}' does not exist."));
    }
    Response::json(200, &Value::Array(agents))
}
