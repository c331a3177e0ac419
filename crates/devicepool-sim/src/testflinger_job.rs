//! `POST /v1/job` of the fake Testflinger: the `Job` schema rules that matter (unknown fields,
//! types, `job_queue` required), then the server's checks in its order (excluded agents,
//! secrets, job_id, priority and reservation permissions). Never accepts what the real one rejects.

use serde_json::{Map, Value, json};

use super::http::{Request, Response};
use super::lambdatest::next_uuid;
use super::testflinger::{SimTestflingerJob, State};
use super::testflinger_routes::{Caller, abort, invalid, is_uuid};

/// Longest reservation an anonymous caller may ask for (6 h).
const MAX_ANONYMOUS_RESERVATION: i64 = 6 * 60 * 60;

#[derive(Clone, Copy)]
enum Kind {
    Str,
    Int,
    Bool,
    Strings,
    Dict,
    Any,
}

const JOB_FIELDS: [(&str, Kind); 17] = [
    ("job_queue", Kind::Str),
    ("name", Kind::Str),
    ("tags", Kind::Strings),
    ("job_priority", Kind::Int),
    ("global_timeout", Kind::Int),
    ("output_timeout", Kind::Int),
    ("allocation_timeout", Kind::Int),
    ("provision_data", Kind::Dict),
    ("firmware_update_data", Kind::Dict),
    ("test_data", Kind::Dict),
    ("allocate_data", Kind::Dict),
    ("reserve_data", Kind::Dict),
    ("job_status_webhook", Kind::Str),
    ("exclude_agents", Kind::Strings),
    ("parent_job_id", Kind::Str),
    ("debug", Kind::Bool),
    ("job_id", Kind::Str),
];
const TEST_DATA_FIELDS: [(&str, Kind); 5] = [
    ("test_cmds", Kind::Str),
    ("attachments", Kind::Any),
    ("test_username", Kind::Str),
    ("test_password", Kind::Str),
    ("secrets", Kind::Dict),
];
const RESERVE_DATA_FIELDS: [(&str, Kind); 2] =
    [("ssh_keys", Kind::Strings), ("timeout", Kind::Any)];

/// Marshmallow's message when `value` is not of `kind`, or `None` when it is.
fn type_error(kind: Kind, value: &Value) -> Option<Value> {
    let ok = match kind {
        Kind::Str => value.is_string(),
        // Marshmallow's non-strict Integer also takes integral strings.
        Kind::Int => value.is_i64() || value.as_str().is_some_and(|s| s.parse::<i64>().is_ok()),
        Kind::Bool => value.is_boolean(),
        Kind::Dict => value.is_object(),
        Kind::Any => true,
        Kind::Strings => {
            let Some(items) = value.as_array() else {
                return Some(json!(["Not a valid list."]));
            };
            let bad: Map<String, Value> = items
                .iter()
                .enumerate()
                .filter(|(_, v)| !v.is_string())
                .map(|(i, _)| (i.to_string(), json!(["Not a valid string."])))
                .collect();
            return (!bad.is_empty()).then_some(Value::Object(bad));
        }
    };
    let message = match kind {
        Kind::Int => "Not a valid integer.",
        Kind::Bool => "Not a valid boolean.",
        Kind::Dict => "Not a valid mapping type.",
        _ => "Not a valid string.",
    };
    (!ok).then(|| json!([message]))
}

/// Field errors of one object against a field table (unknown fields included).
fn check(object: &Map<String, Value>, fields: &[(&str, Kind)]) -> Map<String, Value> {
    let mut errors = Map::new();
    for (key, value) in object {
        match fields.iter().find(|(name, _)| name == key) {
            None => {
                errors.insert(key.clone(), json!(["Unknown field."]));
            }
            Some((_, kind)) => {
                if let Some(e) = type_error(*kind, value) {
                    errors.insert(key.clone(), e);
                }
            }
        }
    }
    errors
}

/// Seconds from an int or a duration string such as `2h`, `90m`, `1h30m`, `45s`.
fn seconds(value: &Value) -> Option<i64> {
    if let Some(n) = value.as_i64() {
        return Some(n);
    }
    let s = value.as_str()?.trim();
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let (mut total, mut digits) = (0i64, String::new());
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            'd' | 'h' | 'm' | 's' if !digits.is_empty() => {
                let unit = match c {
                    'd' => 86_400,
                    'h' => 3_600,
                    'm' => 60,
                    _ => 1,
                };
                total += digits.parse::<i64>().ok()? * unit;
                digits.clear();
            }
            _ => return None,
        }
    }
    digits.is_empty().then_some(total).filter(|_| !s.is_empty())
}

/// Schema validation; on success the definition with the server's defaults applied.
fn validate(body: &[u8]) -> Result<Map<String, Value>, Response> {
    let Ok(Value::Object(mut job)) = serde_json::from_slice::<Value>(body) else {
        return Err(invalid("json", json!({"_schema": ["Invalid input type."]})));
    };
    let mut errors = check(&job, &JOB_FIELDS);
    match job.get("job_queue").and_then(Value::as_str) {
        None if !errors.contains_key("job_queue") => {
            errors.insert(
                "job_queue".into(),
                json!(["Missing data for required field."]),
            );
        }
        Some("") => {
            errors.insert(
                "job_queue".into(),
                json!(["Shorter than minimum length 1."]),
            );
        }
        _ => {}
    }
    for (field, table) in [
        ("test_data", &TEST_DATA_FIELDS[..]),
        ("reserve_data", &RESERVE_DATA_FIELDS[..]),
    ] {
        if let Some(Value::Object(inner)) = job.get(field) {
            let mut inner_errors = check(inner, table);
            if field == "reserve_data" {
                if let Some(t) = inner.get("timeout").filter(|t| seconds(t).is_none()) {
                    inner_errors
                        .insert("timeout".into(), json!([format!("Invalid duration: {t}")]));
                }
                let keys = inner.get("ssh_keys").and_then(Value::as_array);
                if let Some(bad) = keys
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .find(|k| !k.starts_with("lp:") && !k.starts_with("gh:"))
                {
                    inner_errors.insert(
                        "ssh_keys".into(),
                        json!([format!("Invalid SSH key import id: {bad}")]),
                    );
                }
            }
            if !inner_errors.is_empty() {
                errors.insert(field.into(), Value::Object(inner_errors));
            }
        }
    }
    if !errors.is_empty() {
        return Err(invalid("json", Value::Object(errors)));
    }
    if let Some(Value::Object(reserve)) = job.get_mut("reserve_data") {
        let timeout = reserve.get("timeout").and_then(seconds).unwrap_or(3600);
        reserve.insert("timeout".into(), json!(timeout));
    }
    for key in [
        "job_priority",
        "global_timeout",
        "output_timeout",
        "allocation_timeout",
    ] {
        if let Some(n) = job
            .get(key)
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
        {
            job.insert(key.into(), json!(n));
        }
    }
    job.entry("exclude_agents").or_insert(json!([]));
    job.entry("job_priority").or_insert(json!(0));
    Ok(job)
}

/// Handles `POST /v1/job` for an authenticated (or anonymous-allowed) caller.
pub(super) fn submit(st: &mut State, caller: &Caller, req: &Request) -> Response {
    let mut job = match validate(&req.body) {
        Ok(job) => job,
        Err(r) => return r,
    };
    let queue = job["job_queue"].as_str().unwrap_or_default().to_string();
    let excluded: Vec<&Value> = job["exclude_agents"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if !excluded.is_empty() {
        let can_run = st.agents.iter().any(|a| {
            a["queues"]
                .as_array()
                .is_some_and(|q| q.iter().any(|x| x == queue.as_str()))
                && !excluded.contains(&&a["name"])
        });
        if !can_run {
            return abort(
                422,
                "There are no agents on the specified queue that are allowed to run this job",
            );
        }
    }
    if job
        .get("test_data")
        .and_then(|t| t.get("secrets"))
        .is_some()
    {
        return abort(422, "No secrets store");
    }
    let job_id = match job.remove("job_id") {
        Some(Value::String(id)) if !id.is_empty() => {
            if !is_uuid(&id) {
                return abort(400, "Invalid job_id specified");
            }
            id
        }
        _ => next_uuid(&mut st.seed),
    };
    let priority = job["job_priority"].as_i64().unwrap_or(0);
    if priority > 0 {
        if caller.client_id.is_none() {
            return abort(
                401,
                &format!("Authentication required for setting priority: {priority}"),
            );
        }
        // The fake grants no client a max_priority.
        return abort(
            403,
            &format!("Not enough permissions to push to {queue} with priority {priority}"),
        );
    }
    let owner = caller.client_id.as_deref();
    if let Err(refused) =
        super::testflinger_restricted::check_submitter(&st.restricted, &queue, owner)
    {
        return refused;
    }
    let reservation = job
        .get("reserve_data")
        .and_then(|r| r["timeout"].as_i64())
        .unwrap_or(3600);
    if reservation > MAX_ANONYMOUS_RESERVATION {
        if caller.client_id.is_none() {
            return abort(
                401,
                &format!("Authentication required for setting timeout: {reservation}"),
            );
        }
        return abort(
            403,
            &format!(
                "Not enough permissions to push to {queue} with reservation timeout {reservation}"
            ),
        );
    }
    st.submissions
        .push(serde_json::from_slice(&req.body).unwrap_or(Value::Null));
    st.jobs.push(SimTestflingerJob {
        job_id: job_id.clone(),
        created_at: st.now,
        job_state: "waiting".into(),
        definition: Value::Object(job),
        phase_status: Default::default(),
        phase_output: Default::default(),
        device_info: None,
    });
    Response::json(200, &json!({ "job_id": job_id }))
}

#[cfg(test)]
#[path = "testflinger_job_tests.rs"]
mod tests;
