//! A project's running jobs and the runner each runs on (`GET /projects/:id/jobs?scope[]=running`,
//! every page), for `apply --verify` to tell whether a runner devicepool removed was busy.
//! Read-only; decides nothing.

use serde::Deserialize;

use super::{decode_body, fetch_project_jobs};
use crate::clients::http::{ApiError, Reader};
use crate::secret::Secret;

/// A running job of a project and its runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningJob {
    pub id: u64,
    pub tag_list: Vec<String>,
    /// The runner GitLab shows it on; `None` when GitLab shows none (`runner: null`): a
    /// running job whose runner was deleted under it.
    pub runner_id: Option<u64>,
}

#[derive(Deserialize)]
struct WireRunningJob {
    id: u64,
    tag_list: Vec<String>,
    /// Required, `null` or a runner: GitLab's `Job` entity always exposes it, and a job read
    /// as runnerless on a guess would be taken for one whose runner was deleted.
    #[serde(deserialize_with = "Option::deserialize")]
    runner: Option<WireRunnerRef>,
}

#[derive(Deserialize)]
struct WireRunnerRef {
    id: u64,
}

fn running_from_wire(wire: Vec<WireRunningJob>) -> Vec<RunningJob> {
    wire.into_iter()
        .map(|j| RunningJob {
            id: j.id,
            tag_list: j.tag_list,
            runner_id: j.runner.map(|r| r.id),
        })
        .collect()
}

/// Decodes one page of `/projects/:id/jobs?scope[]=running` exactly as
/// `fetch_project_running_jobs` does.
pub(crate) fn decode_running_page(body: &str) -> Result<Vec<RunningJob>, String> {
    decode_body(body).map(running_from_wire)
}

/// `GET /projects/:id/jobs?scope[]=running`, every page; `project` is a numeric id or a path
/// such as `group/app` (sent URL-encoded).
pub fn fetch_project_running_jobs(
    reader: &Reader,
    base: &str,
    token: &Secret,
    project: &str,
) -> Result<Vec<RunningJob>, ApiError> {
    let wire: Vec<WireRunningJob> = fetch_project_jobs(reader, (base, token), project, "running")?;
    Ok(running_from_wire(wire))
}

#[cfg(test)]
#[path = "running_tests.rs"]
mod tests;
