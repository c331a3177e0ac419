//! GitLab reads (REST v4): runners (filtered, every page), one runner's details, a runner's
//! running jobs and last finished job (with its job count), and a project's pending jobs
//! (its running jobs with their runner are in `running.rs`). Pages are followed by
//! `X-Next-Page` until it is empty, never by counting rows. The mutations (create, pause,
//! delete a runner) are in `write.rs`; nothing in this file mutates.
//! The body decoders (`decode_runners_page`, `decode_runner`, `decode_jobs_page`,
//! `decode_last_finished_job`) are the very mapping the fetches use, so `clients::decode` can
//! fuzz them without a server.

pub mod running;
pub mod write;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::http::{ApiError, Failure, Get, Reader, display_url, encode_component};
use crate::secret::Secret;

const API: &str = "gitlab";
/// GitLab's largest page.
const PER_PAGE: &str = "100";
/// More pages than this is a server that never says "last page".
const MAX_PAGES: u32 = 1000;

/// Which runners to list. `all` = `/runners/all` (admin only), else `/runners` (own runners).
#[derive(Debug, Clone, Default)]
pub struct RunnerFilter<'a> {
    pub all: bool,
    /// `instance_type`, `group_type` or `project_type`.
    pub runner_type: Option<&'a str>,
    /// `online`, `offline`, `stale` or `never_contacted`.
    pub status: Option<&'a str>,
    pub paused: Option<bool>,
    /// Runners carrying ALL of these tags.
    pub tags: &'a [String],
}

#[derive(Deserialize)]
struct WireRunner {
    id: u64,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    runner_type: String,
    #[serde(default)]
    paused: bool,
    #[serde(default)]
    online: Option<bool>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    tag_list: Vec<String>,
    #[serde(default)]
    contacted_at: Option<String>,
    /// Outer `None`: the field is missing (GitLab shows it only to tokens allowed to see it);
    /// `Some(None)`: present and `null`.
    #[serde(default, deserialize_with = "present")]
    maintenance_note: Option<Option<String>>,
}

/// Deserializes a field that is there (even as `null`) into `Some`, so that a missing field
/// (serde's `default`, `None`) can be told apart from a `null` one.
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// The job fields devicepool uses, no more: GitLab's job entities differ between listings
/// (`project` is `{"ci_job_token_scope_enabled": …}` in a project's jobs, a project identity
/// in a runner's), and a field nobody reads must not fail the read.
#[derive(Deserialize)]
struct WireJob {
    id: u64,
    status: String,
    /// Only the project jobs listing sends it (and there it is required: `WirePendingJob`).
    #[serde(default)]
    tag_list: Vec<String>,
    #[serde(default)]
    started_at: Option<String>,
    #[serde(default)]
    finished_at: Option<String>,
}

/// A pending job of a project. Its tags decide which pool's runner it needs, so they are
/// required: a job read as untagged on a guess would move demand between pools.
#[derive(Deserialize)]
struct WirePendingJob {
    id: u64,
    status: String,
    tag_list: Vec<String>,
    /// When the job was created: how long it has waited, for the queue-wait metric only.
    #[serde(default)]
    created_at: Option<String>,
}

fn time(raw: Option<&str>) -> Option<Timestamp> {
    raw.and_then(|r| r.parse().ok())
}

/// `<base>/api/v4<path>`: every GitLab REST URL, for reads and writes alike.
pub(crate) fn api_url(base: &str, path: &str) -> String {
    format!("{}/api/v4{path}", base.trim_end_matches('/'))
}

fn decode_body<T: DeserializeOwned>(body: &str) -> Result<T, String> {
    serde_json::from_str(body).map_err(|e| e.to_string())
}

/// A runner as listed; the listing has no tags or `contacted_at`.
fn runners_from_wire(wire: Vec<WireRunner>) -> Vec<GitlabRunner> {
    wire.into_iter()
        .map(|r| GitlabRunner {
            id: r.id,
            description: r.description.unwrap_or_default(),
            runner_type: r.runner_type,
            paused: r.paused,
            online: r.online.unwrap_or(false),
            status: r.status,
            created_at: time(r.created_at.as_deref()),
        })
        .collect()
}

fn runner_details_from_wire(r: WireRunner) -> GitlabRunnerDetails {
    GitlabRunnerDetails {
        id: r.id,
        description: r.description.unwrap_or_default(),
        paused: r.paused,
        online: r.online.unwrap_or(false),
        status: r.status,
        tag_list: r.tag_list,
        contacted_at: time(r.contacted_at.as_deref()),
        created_at: time(r.created_at.as_deref()),
        maintenance_note_hidden: r.maintenance_note.is_none(),
        maintenance_note: r.maintenance_note.flatten(),
    }
}

fn job_from_wire(j: WireJob) -> GitlabJob {
    GitlabJob {
        id: j.id,
        status: j.status,
        tag_list: j.tag_list,
        created_at: None,
        started_at: time(j.started_at.as_deref()),
        finished_at: time(j.finished_at.as_deref()),
    }
}

/// Jobs of a listing page (a runner's jobs or a project's pending jobs).
fn jobs_from_wire(wire: Vec<WireJob>) -> Vec<GitlabJob> {
    wire.into_iter().map(job_from_wire).collect()
}

/// The most recently finished job (ties broken by the higher id), `None` when none finished.
fn last_finished_from_wire(wire: Vec<WireJob>) -> Option<GitlabJob> {
    jobs_from_wire(wire)
        .into_iter()
        .filter(|j| j.finished_at.is_some())
        .max_by_key(|j| (j.finished_at, j.id))
}

/// Decodes one page of `/runners/all` or `/runners` exactly as `fetch_runners` does.
pub(crate) fn decode_runners_page(body: &str) -> Result<Vec<GitlabRunner>, String> {
    decode_body(body).map(runners_from_wire)
}

/// Decodes a `/runners/:id` body exactly as `fetch_runner` does.
pub(crate) fn decode_runner(body: &str) -> Result<GitlabRunnerDetails, String> {
    decode_body(body).map(runner_details_from_wire)
}

/// Decodes one page of `/runners/:id/jobs` or `/projects/:id/jobs` exactly as
/// `fetch_running_jobs` and `fetch_pending_jobs` do.
pub(crate) fn decode_jobs_page(body: &str) -> Result<Vec<GitlabJob>, String> {
    decode_body(body).map(jobs_from_wire)
}

/// Decodes a `/runners/:id/jobs` body exactly as `fetch_last_finished_job` does.
pub(crate) fn decode_last_finished_job(body: &str) -> Result<Option<GitlabJob>, String> {
    decode_body(body).map(last_finished_from_wire)
}

/// Every page of a listing: `page=1,2,...` as long as `X-Next-Page` names a new, later page.
fn fetch_all<T: DeserializeOwned>(
    reader: &Reader,
    url: &str,
    token: &Secret,
    query: &[(&str, String)],
) -> Result<Vec<T>, ApiError> {
    let auth = token.bearer();
    let mut rows = Vec::new();
    let mut page: u32 = 1;
    loop {
        let mut q = query.to_vec();
        q.push(("per_page", PER_PAGE.into()));
        q.push(("page", page.to_string()));
        let protocol = |m: String| ApiError {
            api: API,
            method: "GET",
            url: display_url(url, &q),
            failure: Failure::Protocol(m),
        };
        let got = reader.get_json_page::<Vec<T>>(&Get {
            api: API,
            url: url.to_string(),
            query: q.clone(),
            authorization: Some(auth.expose()),
        })?;
        let next_page = got.header("x-next-page").map(|n| n.trim().to_string());
        rows.extend(got.body);
        let next = match next_page.as_deref() {
            None => {
                return Err(protocol(
                    "no X-Next-Page header: cannot tell the last page".into(),
                ));
            }
            Some("") => return Ok(rows),
            Some(n) => n
                .parse::<u32>()
                .map_err(|_| protocol(format!("X-Next-Page is {n:?}")))?,
        };
        if next <= page {
            return Err(protocol(format!(
                "X-Next-Page {next} after page {page}: paging does not advance"
            )));
        }
        if next > MAX_PAGES {
            return Err(protocol(format!("more than {MAX_PAGES} pages")));
        }
        page = next;
    }
}

/// `GET /runners/all` or `/runners` with `filter`, every page.
pub fn fetch_runners(
    reader: &Reader,
    base: &str,
    token: &Secret,
    filter: &RunnerFilter<'_>,
) -> Result<Vec<GitlabRunner>, ApiError> {
    let path = if filter.all {
        "/runners/all"
    } else {
        "/runners"
    };
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(t) = filter.runner_type {
        query.push(("type", t.into()));
    }
    if let Some(s) = filter.status {
        query.push(("status", s.into()));
    }
    if let Some(p) = filter.paused {
        query.push(("paused", p.to_string()));
    }
    if !filter.tags.is_empty() {
        query.push(("tag_list", filter.tags.join(",")));
    }
    let wire: Vec<WireRunner> = fetch_all(reader, &api_url(base, path), token, &query)
        .map_err(|e| if filter.all { needs_admin(e) } else { e })?;
    Ok(runners_from_wire(wire))
}

/// GitLab answers 403 to `/runners/all` for any token but an administrator's: say so.
fn needs_admin(mut error: ApiError) -> ApiError {
    if let Failure::Status {
        status: 403,
        excerpt,
    } = &mut error.failure
    {
        excerpt.push_str(
            " (listing every runner, /runners/all, needs an administrator's token: \
             use a token of an admin user, with the api scope)",
        );
    }
    error
}

/// `GET /runners/:id`: tags and `contacted_at`, which the listing lacks.
pub fn fetch_runner(
    reader: &Reader,
    base: &str,
    token: &Secret,
    runner_id: u64,
) -> Result<GitlabRunnerDetails, ApiError> {
    let auth = token.bearer();
    let r: WireRunner = reader.get_json(&Get {
        api: API,
        url: api_url(base, &format!("/runners/{runner_id}")),
        query: Vec::new(),
        authorization: Some(auth.expose()),
    })?;
    Ok(runner_details_from_wire(r))
}

/// GitLab's own "no such runner" answer to a read (a 404 from a wrong base URL is not it):
/// the runner was deleted after it was listed.
pub fn is_runner_not_found(error: &ApiError) -> bool {
    matches!(&error.failure, Failure::Status { status: 404, excerpt } if excerpt.contains("404 Runner Not Found"))
}

/// `GET /runners/:id/jobs?status=running`, every page.
pub fn fetch_running_jobs(
    reader: &Reader,
    base: &str,
    token: &Secret,
    runner_id: u64,
) -> Result<Vec<GitlabJob>, ApiError> {
    let url = api_url(base, &format!("/runners/{runner_id}/jobs"));
    let query = [
        ("status", "running".to_string()),
        ("order_by", "id".into()),
        ("sort", "desc".into()),
    ];
    let wire: Vec<WireJob> = fetch_all(reader, &url, token, &query)?;
    Ok(jobs_from_wire(wire))
}

/// The runner's most recently finished job among its newest 100 (one request, newest first),
/// or `None` when none of them has finished, and how many jobs it has run (the same answer's
/// `X-Total`: no request more).
pub fn fetch_runner_jobs(
    reader: &Reader,
    base: &str,
    token: &Secret,
    runner_id: u64,
) -> Result<RunnerJobs, ApiError> {
    let auth = token.bearer();
    let page = reader.get_json_page::<Vec<WireJob>>(&Get {
        api: API,
        url: api_url(base, &format!("/runners/{runner_id}/jobs")),
        query: vec![
            ("order_by", "id".into()),
            ("sort", "desc".into()),
            ("per_page", PER_PAGE.into()),
        ],
        authorization: Some(auth.expose()),
    })?;
    let counted = page.header("x-total").and_then(|t| t.trim().parse().ok());
    let rows = page.body.len() as u32;
    Ok(RunnerJobs {
        total: counted.unwrap_or(rows).max(rows),
        last_finished: last_finished_from_wire(page.body),
    })
}

/// `GET /projects/:id/jobs?scope[]=pending`, every page; `project` is a numeric id or a path
/// such as `group/app` (sent URL-encoded).
pub fn fetch_pending_jobs(
    reader: &Reader,
    base: &str,
    token: &Secret,
    project: &str,
) -> Result<Vec<GitlabJob>, ApiError> {
    let wire: Vec<WirePendingJob> = fetch_project_jobs(reader, (base, token), project, "pending")?;
    Ok(wire
        .into_iter()
        .map(|j| GitlabJob {
            id: j.id,
            status: j.status,
            tag_list: j.tag_list,
            created_at: time(j.created_at.as_deref()),
            started_at: None,
            finished_at: None,
        })
        .collect())
}

/// `GET /projects/:id/jobs?scope[]=<scope>`, every page; `project` is a numeric id or a path
/// such as `group/app` (sent URL-encoded).
fn fetch_project_jobs<T: DeserializeOwned>(
    reader: &Reader,
    (base, token): (&str, &Secret),
    project: &str,
    scope: &str,
) -> Result<Vec<T>, ApiError> {
    let url = api_url(
        base,
        &format!("/projects/{}/jobs", encode_component(project)),
    );
    fetch_all(reader, &url, token, &[("scope[]", scope.into())])
}

/// A GitLab runner as listed (`GET /runners/all`); the list has no tags or `contacted_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GitlabRunner {
    pub id: u64,
    pub description: String,
    /// `instance_type`, `group_type` or `project_type`.
    pub runner_type: String,
    pub paused: bool,
    /// Contacted within the last 2 hours (paused or not).
    pub online: bool,
    /// `online`, `offline`, `stale`, `never_contacted` (or `paused`).
    pub status: String,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
}

/// One runner's details (`GET /runners/:id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GitlabRunnerDetails {
    pub id: u64,
    pub description: String,
    pub paused: bool,
    pub online: bool,
    pub status: String,
    pub tag_list: Vec<String>,
    /// `None` when the runner never contacted GitLab.
    #[schemars(with = "Option<String>")]
    pub contacted_at: Option<Timestamp>,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
    /// Free text set with `PUT /runners/:id`; devicepool marks its own removal pauses here.
    #[serde(default)]
    pub maintenance_note: Option<String>,
    /// GitLab left `maintenance_note` out (it shows the note only to tokens allowed to see it),
    /// so whether devicepool paused the runner cannot be told from it.
    #[serde(default)]
    pub maintenance_note_hidden: bool,
}

/// A GitLab CI job (of a runner, or pending in a project).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GitlabJob {
    pub id: u64,
    pub status: String,
    /// Only sent by the project jobs listing; empty otherwise.
    pub tag_list: Vec<String>,
    /// When the job was created; read only for pending jobs.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
    /// When a runner picked it up; `None` while it waits.
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub started_at: Option<Timestamp>,
    #[schemars(with = "Option<String>")]
    pub finished_at: Option<Timestamp>,
}

/// What one read of a runner's newest jobs tells: its last finished job and how many jobs it
/// has run in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunnerJobs {
    pub last_finished: Option<GitlabJob>,
    /// GitLab's `X-Total` for the runner's jobs (every status); where GitLab skips counting
    /// (over 10 000 rows) the rows of the page, a lower bound.
    pub total: u32,
}

#[cfg(test)]
mod tests;
