//! Pure decoders for every API response body the clients read: each takes the body text and
//! returns what the matching fetch function would return for it (or the decode error message),
//! by calling the same parse-and-map code the fetch uses. They exist so the decoders can be
//! fuzzed and tested without a server (`fuzz/fuzz_targets/api_responses.rs`).
//! They must not do I/O, read a clock, hold their own mapping logic or expose the wire types:
//! those stay private to each client's file.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::taskcluster::QuarantinedPage;
use super::testflinger::Token;
use super::{docker, gitlab, lambdatest, maas, taskcluster, testflinger};
use docker::DockerContainer;
use gitlab::{GitlabJob, GitlabRunner, GitlabRunnerDetails};
use lambdatest::{Device, Job};
use maas::MaasMachine;
use testflinger::{TestflingerAgent, TestflingerJob, TestflingerResult};

/// Taskcluster `GET /api/queue/v1/task-queues/<tq>/counts` → (pending, claimed).
pub fn taskcluster_counts(body: &str) -> Result<(u64, u64), String> {
    taskcluster::decode_counts(body)
}

/// Taskcluster worker-manager `GET .../workers?quarantined=true` → one page of workers.
pub fn taskcluster_worker_page(body: &str) -> Result<QuarantinedPage, String> {
    taskcluster::decode_worker_page(body)
}

/// LambdaTest `GET /mobile-automation/api/v1/privatecloud_devices` → devices by UDID.
pub fn lambdatest_devices(body: &str) -> Result<BTreeMap<String, Device>, String> {
    lambdatest::decode_devices(body)
}

/// LambdaTest `GET /v1.0/jobs` → one page of jobs, labels decoded from the JSON-encoded
/// `job_label`.
pub fn lambdatest_jobs_page(body: &str) -> Result<Vec<Job>, String> {
    lambdatest::decode_jobs_page(body)
}

/// MAAS `GET /api/2.0/machines/?tags=..` → machines; `tags` are the tags the request
/// filtered on (a machine lacking one is an error).
pub fn maas_machines(body: &str, tags: &[String]) -> Result<Vec<MaasMachine>, String> {
    maas::decode_machines(body, tags)
}

/// Testflinger `GET /v1/agents/data` → agent records.
pub fn testflinger_agents(body: &str) -> Result<Vec<TestflingerAgent>, String> {
    testflinger::decode_agents(body)
}

/// Testflinger `GET /v1/job/search` → jobs.
pub fn testflinger_jobs(body: &str) -> Result<Vec<TestflingerJob>, String> {
    testflinger::decode_jobs(body)
}

/// Testflinger `GET /v1/result/<id>` (a `200` body) → the job state and phase exit codes.
pub fn testflinger_result(body: &str) -> Result<TestflingerResult, String> {
    testflinger::decode_result(body)
}

/// Testflinger `POST /v1/oauth2/token` → a token expiring `expires_in` seconds after `now`.
pub fn testflinger_token(body: &str, now: Timestamp) -> Result<Token, String> {
    testflinger::decode_token(body, now)
}

/// GitLab `GET /api/v4/runners/all` or `/runners` → one page of runners (no tags or
/// `contacted_at`: the listing lacks them).
pub fn gitlab_runners_page(body: &str) -> Result<Vec<GitlabRunner>, String> {
    gitlab::decode_runners_page(body)
}

/// GitLab `GET /api/v4/runners/:id` → the runner's details.
pub fn gitlab_runner(body: &str) -> Result<GitlabRunnerDetails, String> {
    gitlab::decode_runner(body)
}

/// GitLab `GET /api/v4/runners/:id/jobs` or `/projects/:id/jobs?scope[]=pending` → one page
/// of jobs.
pub fn gitlab_jobs_page(body: &str) -> Result<Vec<GitlabJob>, String> {
    gitlab::decode_jobs_page(body)
}

/// GitLab `GET /api/v4/runners/:id/jobs` (newest 100) → the most recently finished job.
pub fn gitlab_last_finished_job(body: &str) -> Result<Option<GitlabJob>, String> {
    gitlab::decode_last_finished_job(body)
}

/// GitLab `GET /api/v4/projects/:id/jobs?scope[]=running` → one page of running jobs and
/// their runners.
pub fn gitlab_running_page(body: &str) -> Result<Vec<gitlab::running::RunningJob>, String> {
    gitlab::running::decode_running_page(body)
}

/// Docker `GET /v1.NN/containers/json` → containers.
pub fn docker_containers(body: &str) -> Result<Vec<DockerContainer>, String> {
    docker::decode_containers(body)
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
