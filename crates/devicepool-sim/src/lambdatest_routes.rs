//! The HTTP side of the fake LambdaTest: Basic auth, the jobs listing with cursor paging, the
//! private-cloud device list, single jobs and the sim-only launch endpoint.

use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use jiff::Timestamp;
use serde_json::{Value, json};

use super::http::{Api, Request, Response};
use super::lambdatest::{
    SIM_ACCESS_KEY, SIM_USERNAME, SimJob, State, busy_udids, insert_job, lock,
};

const DEFAULT_LIMIT: usize = 10;
const MAX_LIMIT: usize = 100;
const LAUNCH_PATH: &str = "/__sim/launch";

fn lt_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn job_json(j: &SimJob) -> Value {
    let label = match &j.labels {
        None => Value::Null,
        Some(l) if l.is_empty() => json!(""),
        Some(l) => json!(serde_json::to_string(l).unwrap_or_default()),
    };
    let secs = j
        .end_time
        .map_or(0, |e| e.as_second() - j.created_at.as_second());
    let mut v = json!({
        "id": j.id,
        "job_number": j.job_number,
        "status": j.status,
        "job_label": label,
        "Tasks": 1,
        "taskCount": {"android": 1, "ios": 0, "linux": 0, "mac": 0, "win": 0},
        "created_at": lt_time(j.created_at),
        "end_time": j.end_time.map(lt_time),
        "executionTime": format!("{}m{}s", secs / 60, secs % 60),
        "execution_time_sec": secs,
        "global_timeout": 90,
        "user": SIM_USERNAME,
        "is_archived": 0,
        "archived_at": null,
        "archived_by": "",
        "Frameworks": ["raw"],
        "workflow_details": {"workflow_id": null},
        "job_summary": null,
    });
    // As recorded: `remark` is there only when someone aborted the job.
    if j.status == "aborted" {
        v["remark"] = json!(format!("job has been aborted by {SIM_USERNAME}"));
    }
    v
}

pub(super) struct Handler(pub(super) Arc<Mutex<State>>);

fn authorized(req: &Request) -> bool {
    let Some(cred) = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Basic "))
    else {
        return false;
    };
    let expected = STANDARD.encode(format!("{SIM_USERNAME}:{SIM_ACCESS_KEY}"));
    cred.trim() == expected
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

impl Api for Handler {
    fn error(&self, status: u16, _req: &Request) -> Response {
        Response::text(status, &format!("{status} {}", reason(status)))
    }

    fn handle(&self, req: &Request) -> Response {
        if !authorized(req) {
            return Response::text(401, "401 Unauthorized: invalid username or access key");
        }
        let mut state = lock(&self.0);
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/v1.0/jobs") => list_jobs(&state, req),
            ("GET", "/mobile-automation/api/v1/privatecloud_devices") => list_devices(&state),
            ("POST", LAUNCH_PATH) => launch(&mut state, req),
            ("GET", p) if p.starts_with("/v2.0/job/") => {
                let id = &p["/v2.0/job/".len()..];
                match state.jobs.iter().find(|j| j.id == id) {
                    Some(j) => Response::json(200, &json!({ "data": job_json(j) })),
                    None => Response::text(404, "job not found"),
                }
            }
            _ => Response::text(404, "404 page not found"),
        }
    }
}

fn list_jobs(state: &State, req: &Request) -> Response {
    let limit = match req.query_param("limit") {
        None => DEFAULT_LIMIT,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n > 0 => n.min(MAX_LIMIT),
            _ => return Response::text(400, &format!("invalid limit: {l}")),
        },
    };
    let cursor_paging = req.query_param("is_cursor_base_pagination").as_deref() == Some("true");
    let cursor = match req
        .query_param("cursor")
        .filter(|c| cursor_paging && !c.is_empty())
    {
        None => u64::MAX,
        Some(c) => match c.parse::<u64>() {
            Ok(n) => n,
            Err(_) => return Response::text(400, &format!("invalid cursor: {c}")),
        },
    };
    let statuses: Option<Vec<String>> = req
        .query_param("status")
        .filter(|s| !s.is_empty())
        .map(|s| s.split(',').map(|x| x.trim().to_string()).collect());
    let mut matching: Vec<&SimJob> = state
        .jobs
        .iter()
        .filter(|j| j.job_number < cursor)
        .filter(|j| statuses.as_ref().is_none_or(|s| s.contains(&j.status)))
        .collect();
    matching.sort_by_key(|j| std::cmp::Reverse(j.job_number));
    let has_more = matching.len() > limit;
    matching.truncate(limit);
    let Some(last) = matching.last() else {
        return Response::json(200, &json!({ "data": [] }));
    };
    let body = json!({
        "data": matching.iter().map(|j| job_json(j)).collect::<Vec<_>>(),
        "metadata": { "cursor": last.job_number.to_string(), "hasmore": has_more, "limit": limit },
    });
    Response::json(200, &body)
}

fn list_devices(state: &State) -> Response {
    let busy = busy_udids(state);
    let devices: Vec<Value> = state
        .devices
        .iter()
        .map(|d| {
            let status = if busy.contains(d.udid.as_str()) {
                "busy"
            } else {
                d.status.as_str()
            };
            json!({
                "udid": d.udid, "name": d.name, "os": "android", "os_version": 14,
                "fullOsVersion": "14", "status": status,
                "Automation": true, "Manual": false, "simDetails": [],
            })
        })
        .collect();
    Response::json(
        200,
        &json!({
            "status": "success",
            "message": "successfully collected the list of private cloud devices",
            "data": { "private_cloud_devices": devices },
        }),
    )
}

fn launch(state: &mut State, req: &Request) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&req.body) else {
        return Response::text(400, "body is not JSON");
    };
    if v["concurrency"].as_u64() != Some(1) {
        return Response::text(400, "concurrency must be 1 for a fixedIP job");
    }
    let Some(fixed_ip) = v["fixed_ip"].as_str().filter(|s| !s.is_empty()) else {
        return Response::text(400, "fixed_ip (framework.args.fixedIP) is required");
    };
    let labels = v["labels"].as_array().map(|a| {
        a.iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect::<Vec<_>>()
    });
    let job = insert_job(
        state,
        labels,
        Some(fixed_ip.into()),
        "initiated",
        state.now(),
    );
    state.launches.push(job.id.clone());
    Response::json(200, &json!({ "id": job.id, "job_number": job.job_number }))
}

#[cfg(test)]
#[path = "lambdatest_routes_tests.rs"]
mod tests;
