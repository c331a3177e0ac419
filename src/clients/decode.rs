//! Pure decoders for every API response body the sources read: each takes the body text and
//! returns what the matching fetch function would return for it (or the decode error message),
//! by calling the same parse-and-map code the fetch uses. They exist so the decoders can be
//! fuzzed and tested without a server (`fuzz/fuzz_targets/api_responses.rs`).
//! They must not do I/O, read a clock, hold their own mapping logic or expose the wire types:
//! those stay private to each source file.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::taskcluster::QuarantinedPage;
use super::testflinger::Token;
use super::{docker, gitlab, lambdatest, maas, taskcluster, testflinger};
use crate::snapshot::{
    Device, DockerContainer, GitlabJob, GitlabRunner, GitlabRunnerDetails, Job, MaasMachine,
    TestflingerAgent, TestflingerJob, TestflingerResult,
};

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

/// Docker `GET /v1.NN/containers/json` → containers.
pub fn docker_containers(body: &str) -> Result<Vec<DockerContainer>, String> {
    docker::decode_containers(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_contract_shaped_bodies() {
        let counts = r#"{"provisionerId":"p","workerType":"w","taskQueueId":"p/w","pendingTasks":7,"claimedTasks":3}"#;
        assert_eq!(taskcluster_counts(counts), Ok((7, 3)));
        let page = taskcluster_worker_page(
            r#"{"workers":[{"workerGroup":"g","workerId":"a","quarantineUntil":"2026-12-01T00:00:00.000Z"}],"continuationToken":"t"}"#,
        )
        .expect("page");
        assert_eq!(page.workers.len(), 1);
        assert_eq!(page.continuation_token.as_deref(), Some("t"));

        let devices = lambdatest_devices(
            r#"{"status":"success","data":{"private_cloud_devices":[{"udid":"R5","name":"Galaxy A55","status":"active"}]}}"#,
        )
        .expect("devices");
        assert_eq!(devices["R5"].status, "active");
        assert!(
            lambdatest_devices(r#"{"status":"error","data":{"private_cloud_devices":[]}}"#)
                .is_err()
        );
        let jobs = lambdatest_jobs_page(
            r#"{"data":[{"id":"u","job_number":9,"status":"running","job_label":"[\"tcdp\",\"a55\"]","created_at":"2026-11-25T10:00:00Z"}]}"#,
        )
        .expect("jobs");
        assert_eq!(
            jobs[0].labels.as_deref(),
            Some(&["tcdp".to_string(), "a55".to_string()][..])
        );

        let machines = r#"[{"hostname":"h","system_id":"x","status":4,"status_name":"Ready","tag_names":["rack-a"],"zone":{"name":"z"}}]"#;
        assert_eq!(
            maas_machines(machines, &["rack-a".into()]).expect("machines")[0].zone,
            "z"
        );
        assert!(maas_machines(machines, &["rack-b".into()]).is_err());

        let agents =
            testflinger_agents(r#"[{"name":"a","state":"waiting","job_id":""}]"#).expect("agents");
        assert_eq!(agents[0].job_id, None);
        let found = testflinger_jobs(
            r#"[{"job_id":"j","job_state":"waiting","created_at":"2026-11-25T10:00:00Z"}]"#,
        )
        .expect("jobs");
        assert!(found[0].created_at.is_some());
        let result =
            testflinger_result(r#"{"job_state":"complete","provision_status":1}"#).expect("result");
        assert_eq!(result.provision_status(), Some(1));
        assert!(testflinger_result(r#"{"provision_status":1}"#).is_err());
        let now: Timestamp = "2026-11-25T10:00:00Z".parse().expect("now");
        let token =
            testflinger_token(r#"{"access_token":"t","expires_in":600}"#, now).expect("token");
        assert!(token.is_fresh(now));

        let runners = gitlab_runners_page(
            r#"[{"id":6,"description":"a55-01","ip_address":null,"active":true,"paused":false,"is_shared":false,"runner_type":"project_type","name":null,"online":true,"status":"online","created_at":"2026-11-01T10:00:00.000Z"}]"#,
        )
        .expect("runners");
        assert_eq!(runners[0].id, 6);
        assert!(runners[0].online && !runners[0].paused);
        assert!(runners[0].created_at.is_some());
        let runner = gitlab_runner(
            r#"{"id":6,"description":null,"paused":true,"online":null,"status":"paused","tag_list":["a55"],"contacted_at":null}"#,
        )
        .expect("runner");
        assert_eq!(runner.description, "");
        assert!(!runner.online && runner.contacted_at.is_none());
        assert_eq!(runner.tag_list, ["a55"]);
        let jobs = gitlab_jobs_page(
            r#"[{"id":9,"status":"pending","tag_list":["a55"],"runner":null,"project":{"ci_job_token_scope_enabled":false}},{"id":8,"status":"running","runner":{"id":6}}]"#,
        )
        .expect("jobs");
        assert_eq!((jobs[0].id, jobs[1].id), (9, 8));
        assert_eq!(jobs[0].tag_list, ["a55"]);
        assert!(gitlab_jobs_page(r#"[{"status":"running"}]"#).is_err());
        let last = gitlab_last_finished_job(
            r#"[{"id":9,"status":"running"},{"id":8,"status":"success","finished_at":"2026-11-25T09:00:00.000Z"},{"id":7,"status":"failed","finished_at":"2026-11-25T10:00:00.000Z"}]"#,
        )
        .expect("last");
        assert_eq!(last.map(|j| j.id), Some(7));
        assert_eq!(gitlab_last_finished_job("[]"), Ok(None));

        let containers = docker_containers(
            r#"[{"Id":"abc","Names":["/worker-1"],"Image":"img","State":"running","Status":"Up 3 hours","Labels":null,"Created":1764064800}]"#,
        )
        .expect("containers");
        assert_eq!(containers[0].name, "worker-1");
        assert!(containers[0].labels.is_empty());
        assert!(docker_containers(r#"[{"Names":["/x"]}]"#).is_err());
    }
}
