//! The Taskcluster and LambdaTest fakes (device pools) against the Queue and Worker-Manager
//! schemas and LambdaTest's recorded answers, route by route.

use devicepool_sim::Fleet;
use jiff::{SignedDuration, Timestamp};

use super::{base64_of, call, check};

#[test]
fn the_taskcluster_fake_answers_as_the_queue_and_worker_manager_schemas() {
    let fleet = Fleet::start().unwrap();
    let tc = &fleet.taskcluster;
    let tq = "proj-autophone/gecko-t-a55";
    tc.set_counts(tq, 7, 3);
    let now = Timestamp::now();
    tc.add_worker(tq, "A55-01", Some(now + SignedDuration::from_hours(1)));
    tc.add_worker(tq, "A55-02", Some(now - SignedDuration::from_hours(1)));
    tc.add_worker(tq, "A55-03", None);
    tc.set_last_active(tq, "A55-03", now - SignedDuration::from_mins(5));
    tc.set_page_size(2);
    let queue = format!("{}/api/queue/v1", tc.url());
    for path in [
        "task-queues/proj-autophone%2Fgecko-t-a55/counts",
        "task-queues/proj-autophone/gecko-t-a55/counts",
        "task-queues/proj-autophone/gecko-t-unknown/counts",
    ] {
        let answer = call("GET", &format!("{queue}/{path}"), &[], None);
        check(
            "taskcluster/task-queue-counts-response.schema.json",
            &answer.json(),
            path,
        );
    }
    let pending = call("GET", &format!("{queue}/pending/{tq}"), &[], None);
    check(
        "taskcluster/pending-tasks-response.schema.json",
        &pending.json(),
        "/pending",
    );
    tc.add_pending_task(tq, now - SignedDuration::from_hours(2));
    let list = format!("{queue}/task-queues/proj-autophone%2Fgecko-t-a55/pending");
    let first = call("GET", &format!("{list}?limit=1"), &[], None).json();
    check(
        "taskcluster/list-pending-tasks-response.schema.json",
        &first,
        "listPendingTasks page 1",
    );
    let token = first["continuationToken"].as_str().expect("a second page");
    let rest = call(
        "GET",
        &format!("{list}?continuationToken={token}"),
        &[],
        None,
    )
    .json();
    check(
        "taskcluster/list-pending-tasks-response.schema.json",
        &rest,
        "listPendingTasks page 2",
    );
    tc.set_deny_pending_list(true);
    let refused = call("GET", &list, &[], None);
    assert_eq!(refused.status, 403, "{}", refused.body);
    check(
        "taskcluster/error.schema.json",
        &refused.json(),
        "403 pending list",
    );
    let workers = format!(
        "{}/api/worker-manager/v1/provisioners/proj-autophone/worker-types/gecko-t-a55/workers",
        tc.url()
    );
    let first = call("GET", &workers, &[], None).json();
    check(
        "taskcluster/list-workers-response.schema.json",
        &first,
        "workers page 1",
    );
    let token = first["continuationToken"].as_str().expect("a second page");
    let second = call(
        "GET",
        &format!("{workers}?continuationToken={token}"),
        &[],
        None,
    )
    .json();
    check(
        "taskcluster/list-workers-response.schema.json",
        &second,
        "workers page 2",
    );
    let quarantined = call("GET", &format!("{workers}?quarantined=true"), &[], None).json();
    check(
        "taskcluster/list-workers-response.schema.json",
        &quarantined,
        "quarantined",
    );
    let bad = call("GET", &format!("{workers}?limit=zero"), &[], None);
    assert_eq!(bad.status, 400, "{}", bad.body);
    check("taskcluster/error.schema.json", &bad.json(), "400");
    tc.set_deny_anonymous(true);
    let denied = call(
        "GET",
        &format!("{queue}/task-queues/{tq}/counts"),
        &[],
        None,
    );
    assert_eq!(denied.status, 403, "{}", denied.body);
    check("taskcluster/error.schema.json", &denied.json(), "403");
}

#[test]
fn the_lambdatest_fake_answers_as_the_recorded_answers() {
    let fleet = Fleet::start().unwrap();
    let lt = &fleet.lambdatest;
    lt.add_device("R5CX01", "Galaxy A55 5G", "active");
    lt.add_device("R5CX02", "Galaxy A55 5G", "active");
    lt.add_device("R5CX03", "Galaxy A55 5G", "faulty");
    let now = Timestamp::now();
    let label = |udid: &str| {
        Some(vec![
            "tcdp".to_string(),
            "a55".to_string(),
            udid.to_string(),
        ])
    };
    let running = lt.add_job(label("R5CX01"), "initiated", now);
    lt.start_initiated_jobs();
    lt.add_job(
        label("R5CX02"),
        "aborted",
        now - SignedDuration::from_mins(30),
    );
    lt.add_job(None, "completed", now - SignedDuration::from_hours(2));
    lt.add_job(
        Some(Vec::new()),
        "lambda_error",
        now - SignedDuration::from_hours(3),
    );
    let auth = format!(
        "Basic {}",
        base64_of(&format!(
            "{}:{}",
            devicepool_sim::SIM_USERNAME,
            devicepool_sim::SIM_ACCESS_KEY
        ))
    );
    let get = |path: &str| {
        call(
            "GET",
            &format!("{}{path}", lt.url()),
            &[("Authorization", &auth)],
            None,
        )
    };
    let jobs =
        get("/v1.0/jobs?show_test_summary=false&is_cursor_base_pagination=true&limit=3").json();
    check("lambdatest/jobs-response.schema.json", &jobs, "jobs page 1");
    let cursor = jobs["data"][2]["job_number"].as_u64().unwrap();
    let next = get(&format!(
        "/v1.0/jobs?is_cursor_base_pagination=true&limit=3&cursor={cursor}"
    ))
    .json();
    check("lambdatest/jobs-response.schema.json", &next, "jobs page 2");
    check(
        "lambdatest/job-response.schema.json",
        &get(&format!("/v2.0/job/{running}")).json(),
        "one job",
    );
    let devices = get("/mobile-automation/api/v1/privatecloud_devices").json();
    check(
        "lambdatest/devices-response.schema.json",
        &devices,
        "devices",
    );
    assert_eq!(
        devices["data"]["private_cloud_devices"][0]["status"],
        "busy"
    );
}
