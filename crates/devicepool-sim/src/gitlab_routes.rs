//! The HTTP side of the fake GitLab: token checks, runners (list, details, jobs, update,
//! delete, create), project jobs by scope, and GitLab's offset pagination headers. Errors are
//! JSON `{"message"}` (or Grape's `{"error"}` for bad params), as GitLab sends them.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde_json::{Value, json};

use super::gitlab::{
    SIM_ADMIN_TOKEN, SIM_USER_TOKEN, SimRunner, State, User, lock, runner_online, runner_status,
    runner_token,
};
use super::gitlab_jobs::{project_jobs, runner_jobs};
use super::gitlab_paging::{Params, paginate};
use super::http::{Api, Request, Response};

const API: &str = "/api/v4/";
const RUNNER_TYPES: [&str; 3] = ["instance_type", "group_type", "project_type"];

pub(super) struct Handler(pub(super) Arc<Mutex<State>>);

pub(super) fn message(status: u16, text: &str) -> Response {
    Response::json(status, &json!({ "message": text }))
}

/// Grape's parameter validation error.
pub(super) fn invalid(text: &str) -> Response {
    Response::json(400, &json!({ "error": text }))
}

fn forbidden() -> Response {
    message(403, "403 Forbidden")
}

fn runner_not_found() -> Response {
    message(404, "404 Runner Not Found")
}

impl Api for Handler {
    fn error(&self, status: u16, _req: &Request) -> Response {
        match status {
            // Rack::Attack's throttle answer: plain text, with the RateLimit-* headers.
            429 => {
                let reset = lock(&self.0).now.as_second() + 60;
                Response::text(429, "Retry later\n")
                    .with_header("RateLimit-Name", "throttle_authenticated_api")
                    .with_header("RateLimit-Limit", "2000")
                    .with_header("RateLimit-Observed", "2001")
                    .with_header("RateLimit-Remaining", "0")
                    .with_header("RateLimit-Reset", &reset.to_string())
            }
            502 => Response::text(502, "GitLab is not responding"),
            401 => message(401, "401 Unauthorized"),
            403 => forbidden(),
            404 => message(404, "404 Not Found"),
            _ => message(status, &format!("{status} Internal Server Error")),
        }
    }

    fn handle(&self, req: &Request) -> Response {
        let Some(route) = req.path.strip_prefix(API) else {
            return Response::json(404, &json!({"error": "404 Not Found"}));
        };
        let user = match req
            .header("private-token")
            .or_else(|| req.header("authorization")?.strip_prefix("Bearer "))
        {
            Some(SIM_ADMIN_TOKEN) => User::Admin,
            Some(SIM_USER_TOKEN) => User::Regular,
            _ => return message(401, "401 Unauthorized"),
        };
        let params = match Params::parse(req) {
            Ok(p) => p,
            Err(resp) => return resp,
        };
        let mut state = lock(&self.0);
        let segments: Vec<&str> = route.split('/').collect();
        match (req.method.as_str(), segments.as_slice()) {
            ("GET", ["runners", "all"]) if user != User::Admin => forbidden(),
            ("GET", ["runners", "all"]) => list_runners(&state, req, &params, None),
            ("GET", ["runners"]) => list_runners(&state, req, &params, Some(user)),
            ("POST", ["user", "runners"]) => create_runner(&mut state, &params, user),
            ("GET", ["projects", project, "jobs"]) => project_jobs(&state, req, &params, project),
            (method, ["runners", id, rest @ ..]) => {
                let Some(index) = id
                    .parse::<u64>()
                    .ok()
                    .and_then(|id| state.runners.iter().position(|r| r.id == id))
                else {
                    return runner_not_found();
                };
                let runner = &state.runners[index];
                // Instance runners' details are visible to any signed-in user; everything
                // else needs the owner or an admin.
                let shown =
                    method == "GET" && rest.is_empty() && runner.runner_type == "instance_type";
                if user != User::Admin && runner.owner != user && !shown {
                    return message(403, "403 Forbidden - No access granted");
                }
                match (method, rest) {
                    ("GET", []) => {
                        let busy = runner_busy(&state, runner.id);
                        Response::json(200, &runner_details(runner, state.now, busy))
                    }
                    ("GET", ["jobs"]) => runner_jobs(&state, req, &params, runner.id),
                    ("PUT", []) => update_runner(&mut state, index, &params),
                    ("DELETE", []) => {
                        let id = state.runners.remove(index).id;
                        state
                            .jobs
                            .iter_mut()
                            .filter(|j| j.runner_id == Some(id))
                            .for_each(|j| j.runner_id = None);
                        Response {
                            status: 204,
                            headers: Vec::new(),
                            body: Vec::new(),
                        }
                    }
                    _ => message(404, "404 Not Found"),
                }
            }
            _ => message(404, "404 Not Found"),
        }
    }
}

/// GitLab's time format: ISO 8601 with milliseconds and `Z`.
pub(super) fn time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

pub(super) fn opt_time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(time(t)))
}

pub(super) fn runner_json(r: &SimRunner, now: Timestamp, busy: bool) -> Value {
    json!({
        "id": r.id, "description": r.description, "ip_address": null,
        "active": !r.paused, "paused": r.paused, "is_shared": r.runner_type == "instance_type",
        "runner_type": r.runner_type, "name": "gitlab-runner", "online": runner_online(r, now),
        "status": runner_status(r, now), "created_at": time(r.created_at),
        "job_execution_status": if busy { "active" } else { "idle" },
    })
}

/// `Entities::Ci::RunnerDetails`: the list entity plus details. `projects` is left out, as
/// `GET /runners/:id` does not ask for it (`include_projects`).
fn runner_details(r: &SimRunner, now: Timestamp, busy: bool) -> Value {
    let mut v = runner_json(r, now, busy);
    let extra = json!({
        "tag_list": r.tags, "run_untagged": r.run_untagged, "locked": r.locked,
        "maximum_timeout": null, "access_level": "not_protected",
        "version": r.contacted_at.map(|_| "17.6.0"), "revision": r.contacted_at.map(|_| "d1f2c3a4"),
        "platform": r.contacted_at.map(|_| "linux"), "architecture": r.contacted_at.map(|_| "amd64"),
        "contacted_at": opt_time(r.contacted_at), "maintenance_note": r.maintenance_note,
        "groups": [],
    });
    if let (Value::Object(v), Value::Object(extra)) = (&mut v, extra) {
        v.extend(extra);
    }
    v
}

/// `job_execution_status` is `active` while the runner runs a job.
fn runner_busy(state: &State, id: u64) -> bool {
    state
        .jobs
        .iter()
        .any(|j| j.runner_id == Some(id) && j.status == "running")
}

fn list_runners(state: &State, req: &Request, params: &Params, owner: Option<User>) -> Response {
    let runner_type = params.one("type");
    if runner_type.is_some_and(|t| !RUNNER_TYPES.contains(&t)) {
        return invalid("type does not have a valid value");
    }
    let status = params.one("status").or(params.one("scope"));
    let statuses = [
        "active",
        "paused",
        "online",
        "offline",
        "stale",
        "never_contacted",
    ];
    if status.is_some_and(|s| !statuses.contains(&s)) {
        return invalid("status does not have a valid value");
    }
    let paused = match params.boolean("paused") {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let tags = params.list("tag_list");
    let listed: Vec<Value> = state
        .runners
        .iter()
        .filter(|r| match owner {
            // `/runners`: the user's own project and group runners, never instance runners.
            Some(user) => r.owner == user && r.runner_type != "instance_type",
            None => true,
        })
        .filter(|r| runner_type.is_none_or(|t| r.runner_type == t))
        .filter(|r| paused.is_none_or(|p| r.paused == p))
        .filter(|r| match status {
            None => true,
            Some("active") => !r.paused,
            Some("paused") => r.paused,
            Some(s) => runner_status(r, state.now) == s,
        })
        .filter(|r| tags.iter().all(|t| r.tags.contains(t)))
        .map(|r| runner_json(r, state.now, runner_busy(state, r.id)))
        .collect();
    paginate(req, params, listed, true)
}

fn update_runner(state: &mut State, index: usize, params: &Params) -> Response {
    let paused = match params.boolean("paused") {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let note = params.one("maintenance_note");
    if note.is_some_and(|n| n.chars().count() > 1024) {
        return Response::json(
            400,
            &json!({"message": {"maintenance_note": ["is too long (maximum is 1024 characters)"]}}),
        );
    }
    let runner = &mut state.runners[index];
    if let Some(n) = note {
        runner.maintenance_note = Some(n.into());
    }
    if let Some(p) = paused {
        runner.paused = p;
    }
    if let Some(d) = params.one("description") {
        runner.description = d.into();
    }
    if params.has("tag_list") {
        runner.tags = params.list("tag_list");
    }
    let busy = runner_busy(state, state.runners[index].id);
    Response::json(200, &runner_details(&state.runners[index], state.now, busy))
}

fn create_runner(state: &mut State, params: &Params, user: User) -> Response {
    let Some(runner_type) = params.one("runner_type") else {
        return invalid("runner_type is missing, runner_type does not have a valid value");
    };
    if !RUNNER_TYPES.contains(&runner_type) {
        return invalid("runner_type does not have a valid value");
    }
    match runner_type {
        "instance_type" if user != User::Admin => return forbidden(),
        "group_type" if !params.has("group_id") => return invalid("group_id is missing"),
        "project_type" if !params.has("project_id") => return invalid("project_id is missing"),
        _ => {}
    }
    let (paused, locked, untagged) = match (
        params.boolean("paused"),
        params.boolean("locked"),
        params.boolean("run_untagged"),
    ) {
        (Ok(p), Ok(l), Ok(u)) => (p, l, u),
        (Err(resp), _, _) | (_, Err(resp), _) | (_, _, Err(resp)) => return resp,
    };
    let id = state.next_id();
    let tags = params.list("tag_list");
    let runner = SimRunner {
        id,
        description: params.one("description").unwrap_or_default().into(),
        run_untagged: untagged.unwrap_or(tags.is_empty()),
        tags,
        paused: paused.unwrap_or(false),
        runner_type: runner_type.into(),
        locked: locked.unwrap_or(false),
        created_at: state.now,
        contacted_at: None,
        maintenance_note: None,
        token: runner_token(id),
        owner: user,
    };
    let body = json!({"id": id, "token": runner.token, "token_expires_at": null});
    state.runners.push(runner);
    Response::json(201, &body)
}
