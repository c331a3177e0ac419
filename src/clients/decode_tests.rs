//! Unit tests of `clients/decode.rs`.

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
        lambdatest_devices(r#"{"status":"error","data":{"private_cloud_devices":[]}}"#).is_err()
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
    let token = testflinger_token(r#"{"access_token":"t","expires_in":600}"#, now).expect("token");
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
