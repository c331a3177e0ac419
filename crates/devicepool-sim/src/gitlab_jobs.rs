//! Job listings of the fake GitLab: a runner's jobs (`status`, `order_by=id`, `sort`; counted
//! pages) and a project's jobs by `scope` (id or URL-encoded path; uncounted pages, as GitLab).

use serde_json::{Value, json};

use super::gitlab::{EXTERNAL_URL, SimJob, State};
use super::gitlab_paging::{Params, paginate};
use super::gitlab_routes::{invalid, message, opt_time, runner_json, time};
use super::http::{Request, Response, percent_decode};

const JOB_STATUSES: [&str; 13] = [
    "created",
    "waiting_for_resource",
    "preparing",
    "waiting_for_callback",
    "pending",
    "running",
    "success",
    "failed",
    "canceling",
    "canceled",
    "skipped",
    "manual",
    "scheduled",
];

/// Which of GitLab's job entities a listing presents.
#[derive(Clone, Copy, PartialEq)]
enum Entity {
    /// `Entities::Ci::JobBasicWithProject` (a runner's jobs): `project` is a project identity.
    BasicWithProject,
    /// `Entities::Ci::Job` (a project's jobs): `JobBasic`, whose `project` is only
    /// `{"ci_job_token_scope_enabled": …}`, plus tags, runner and artifacts.
    Full,
}

fn job_json(j: &SimJob, state: &State, entity: Entity) -> Value {
    let path = state
        .projects
        .iter()
        .find(|(_, id)| **id == j.project_id)
        .map(|(p, _)| p.clone());
    let path = path.unwrap_or_else(|| format!("group/project-{}", j.project_id));
    let name = path.rsplit('/').next().unwrap_or_default().to_string();
    let duration = j.started_at.map(|s| {
        j.finished_at
            .unwrap_or(state.now)
            .duration_since(s)
            .as_secs_f64()
    });
    let created = time(j.created_at);
    let sha = "0123abcd0123abcd0123abcd0123abcd0123abcd";
    let mut v = json!({
        "id": j.id, "status": j.status, "stage": "test", "name": format!("job-{}", j.id),
        "ref": "main", "tag": false, "coverage": null, "allow_failure": false,
        "created_at": created, "started_at": opt_time(j.started_at),
        "finished_at": opt_time(j.finished_at), "erased_at": null, "duration": duration,
        "queued_duration": 1.5,
        "user": {"id": 2, "username": "sim-user", "name": "Sim User", "state": "active",
            "locked": false, "avatar_url": null, "web_url": format!("{EXTERNAL_URL}/sim-user")},
        "commit": {"id": sha, "short_id": &sha[..8], "created_at": created, "parent_ids": [],
            "title": "Simulated commit", "message": "Simulated commit\n",
            "author_name": "Sim User", "author_email": "sim@example.com", "authored_date": created,
            "committer_name": "Sim User", "committer_email": "sim@example.com",
            "committed_date": created, "trailers": {}, "extended_trailers": {},
            "web_url": format!("{EXTERNAL_URL}/{path}/-/commit/{sha}")},
        "pipeline": {"id": j.id * 10, "iid": j.id, "project_id": j.project_id, "sha": sha,
            "ref": "main", "status": j.status, "source": "push", "created_at": created,
            "updated_at": created, "web_url": format!("{EXTERNAL_URL}/{path}/-/pipelines/{}", j.id * 10)},
        "web_url": format!("{EXTERNAL_URL}/{path}/-/jobs/{}", j.id),
    });
    if j.status == "failed" {
        v["failure_reason"] = json!("script_failure");
    }
    match entity {
        Entity::BasicWithProject => {
            v["project"] = json!({"id": j.project_id, "description": null, "name": name,
                "name_with_namespace": path.replace('/', " / "), "path": name,
                "path_with_namespace": path, "created_at": "2026-01-05T09:00:00.000Z"});
        }
        Entity::Full => {
            v["project"] = json!({"ci_job_token_scope_enabled": false});
            v["tag_list"] = json!(j.tags);
            v["archived"] = json!(false);
            v["artifacts"] = json!([]);
            v["artifacts_expire_at"] = Value::Null;
            v["runner"] = match j
                .runner_id
                .and_then(|id| state.runners.iter().find(|r| r.id == id))
            {
                Some(r) => runner_json(r, state.now, true),
                None => Value::Null,
            };
            v["runner_manager"] = Value::Null;
        }
    }
    v
}

pub(super) fn runner_jobs(
    state: &State,
    req: &Request,
    params: &Params,
    runner_id: u64,
) -> Response {
    let status = params.one("status");
    if status.is_some_and(|s| !JOB_STATUSES.contains(&s)) {
        return invalid("status does not have a valid value");
    }
    if params.one("order_by").is_some_and(|o| o != "id") {
        return invalid("order_by does not have a valid value");
    }
    let ascending = match params.one("sort") {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return invalid("sort does not have a valid value"),
    };
    let mut jobs: Vec<&SimJob> = state
        .jobs
        .iter()
        .filter(|j| j.runner_id == Some(runner_id) && status.is_none_or(|s| j.status == s))
        .collect();
    jobs.sort_by_key(|j| j.id);
    if !ascending {
        jobs.reverse();
    }
    let listed = jobs
        .into_iter()
        .map(|j| job_json(j, state, Entity::BasicWithProject))
        .collect();
    paginate(req, params, listed, true)
}

pub(super) fn project_jobs(
    state: &State,
    req: &Request,
    params: &Params,
    project: &str,
) -> Response {
    let project = percent_decode(project);
    let id = match project.parse::<u64>() {
        Ok(id) => Some(id),
        Err(_) => state.projects.get(&project).copied(),
    };
    let known = id.is_some_and(|id| {
        state.projects.values().any(|p| *p == id) || state.jobs.iter().any(|j| j.project_id == id)
    });
    let Some(id) = id.filter(|_| known) else {
        return message(404, "404 Project Not Found");
    };
    let scopes = params.all("scope");
    if scopes.iter().any(|s| !JOB_STATUSES.contains(&s.as_str())) {
        return message(400, "400 Bad request - Scope contains invalid value");
    }
    let mut jobs: Vec<&SimJob> = state
        .jobs
        .iter()
        .filter(|j| j.project_id == id && (scopes.is_empty() || scopes.contains(&j.status)))
        .collect();
    jobs.sort_by_key(|j| std::cmp::Reverse(j.id));
    let listed = jobs
        .into_iter()
        .map(|j| job_json(j, state, Entity::Full))
        .collect();
    // Project jobs skip counting: no X-Total, no X-Total-Pages, no rel="last".
    paginate(req, params, listed, false)
}
