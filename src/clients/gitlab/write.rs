//! GitLab runner mutations: create a runner (`POST /user/runners`, whose answer holds the
//! runner's authentication token, kept as a `Secret` and never shown), pause one (with a
//! maintenance note saying why) or resume it, and delete one (404 = already gone = success). Never retried once sent. Decides nothing.

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::clients::gitlab::api_url;
use crate::clients::http::{ApiError, Failure};
use crate::clients::http_send::{Answer, Mutation, Payload, Removal, Writer, server_message};
use crate::secret::Secret;

const API: &str = "gitlab";

/// A runner to create.
#[derive(Debug, Clone, Default)]
pub struct NewRunner<'a> {
    /// `instance_type` (admin token), `group_type` (needs `group_id`) or `project_type`
    /// (needs `project_id`).
    pub runner_type: &'a str,
    pub group_id: Option<u64>,
    pub project_id: Option<u64>,
    pub description: &'a str,
    pub tag_list: &'a [String],
    pub run_untagged: bool,
    pub locked: bool,
    pub paused: bool,
}

/// A created runner; `token` (`glrt-...`) is what `gitlab-runner register --token` needs.
#[derive(Debug, Clone)]
pub struct CreatedRunner {
    pub id: u64,
    pub token: Secret,
    pub token_expires_at: Option<Timestamp>,
}

fn refusal(writer: &Writer, m: &Mutation<'_>, answer: &Answer) -> ApiError {
    writer.refused(m, answer, &server_message(&answer.body))
}

/// `POST /user/runners`: creates the runner record; returns its id and token.
pub fn create_runner(
    writer: &Writer,
    base: &str,
    token: &Secret,
    runner: &NewRunner<'_>,
) -> Result<CreatedRunner, ApiError> {
    let auth = token.bearer();
    let mut body = json!({
        "runner_type": runner.runner_type,
        "description": runner.description,
        "tag_list": runner.tag_list.join(","),
        "run_untagged": runner.run_untagged,
        "locked": runner.locked,
        "paused": runner.paused,
    });
    if let Some(id) = runner.group_id {
        body["group_id"] = json!(id);
    }
    if let Some(id) = runner.project_id {
        body["project_id"] = json!(id);
    }
    let m = Mutation {
        api: API,
        method: "POST",
        url: api_url(base, "/user/runners"),
        query: Vec::new(),
        authorization: Some(auth.expose()),
        payload: Payload::Json(body.to_string()),
    };
    let answer = writer.send(&m)?;
    if answer.status != 201 {
        return Err(refusal(writer, &m, &answer));
    }
    decode_created_runner(&answer.body).map_err(|e| writer.fail(&m, Failure::Decode(e)))
}

/// The 201 body of `POST /user/runners` → the new runner. The body holds a secret: the
/// error never quotes it, not even through serde's messages (they can include the value).
pub(crate) fn decode_created_runner(body: &str) -> Result<CreatedRunner, String> {
    let shape = |what: &str| format!("201 answer without {what}");
    let v: Value = serde_json::from_str(body).map_err(|_| shape("a JSON object"))?;
    let id = v["id"].as_u64().ok_or_else(|| shape("a numeric id"))?;
    let token = v["token"].as_str().ok_or_else(|| shape("a token"))?;
    let token_expires_at = match &v["token_expires_at"] {
        Value::Null => None,
        Value::String(t) => Some(t.parse().map_err(|_| shape("a valid token_expires_at"))?),
        _ => return Err(shape("a valid token_expires_at")),
    };
    Ok(CreatedRunner {
        id,
        token: Secret::new(token),
        token_expires_at,
    })
}

/// `PUT /runners/:id` with `paused=true` and `maintenance_note=note` (form-encoded, as
/// GitLab's docs send it). GitLab's own 404 "Runner Not Found" means the runner is already
/// gone.
pub fn pause_runner(
    writer: &Writer,
    base: &str,
    token: &Secret,
    runner_id: u64,
    note: &str,
) -> Result<Removal, ApiError> {
    match set_paused(writer, base, token, runner_id, true, note) {
        Ok(()) => Ok(Removal::Removed),
        Err(e) if is_runner_not_found(&e) => Ok(Removal::AlreadyGone),
        Err(e) => Err(e),
    }
}

/// The error GitLab gives for a runner that does not exist (not a 404 from a wrong URL).
fn is_runner_not_found(error: &ApiError) -> bool {
    matches!(&error.failure, Failure::Status { status: 404, excerpt } if excerpt == "404 Runner Not Found")
}

/// `PUT /runners/:id` with `paused=false` and an empty maintenance note: undoes
/// `pause_runner` when a removal is called off.
pub fn resume_runner(
    writer: &Writer,
    base: &str,
    token: &Secret,
    runner_id: u64,
) -> Result<(), ApiError> {
    set_paused(writer, base, token, runner_id, false, "")
}

fn set_paused(
    writer: &Writer,
    base: &str,
    token: &Secret,
    runner_id: u64,
    paused: bool,
    note: &str,
) -> Result<(), ApiError> {
    let auth = token.bearer();
    let m = Mutation {
        api: API,
        method: "PUT",
        url: api_url(base, &format!("/runners/{runner_id}")),
        query: Vec::new(),
        authorization: Some(auth.expose()),
        payload: Payload::Form(vec![
            ("paused".into(), paused.to_string()),
            ("maintenance_note".into(), note.to_string()),
        ]),
    };
    let answer = writer.send(&m)?;
    match answer.status {
        200 => Ok(()),
        _ => Err(refusal(writer, &m, &answer)),
    }
}

/// `DELETE /runners/:id`: 204 = removed, 404 "Runner Not Found" = already gone; anything
/// else is an error.
pub fn delete_runner(
    writer: &Writer,
    base: &str,
    token: &Secret,
    runner_id: u64,
) -> Result<Removal, ApiError> {
    let auth = token.bearer();
    let m = Mutation {
        api: API,
        method: "DELETE",
        url: api_url(base, &format!("/runners/{runner_id}")),
        query: Vec::new(),
        authorization: Some(auth.expose()),
        payload: Payload::Empty,
    };
    let answer = writer.send(&m)?;
    match answer.status {
        204 | 200 => Ok(Removal::Removed),
        // Only GitLab's own "no such runner" counts: a 404 from a wrong base URL must not
        // pass for a successful removal.
        404 if server_message(&answer.body) == "404 Runner Not Found" => Ok(Removal::AlreadyGone),
        _ => Err(refusal(writer, &m, &answer)),
    }
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
