//! A failing source holds exactly the pools that depend on it, names the API and the status,
//! starts nothing on guessed data, and exits 4.

use devicepool_sim::Fault;

use crate::support::{Lab, Outcome, WRONG_LT_ACCESS_KEY, pool, pool_of, text_filters, wall_clock};

fn two_pools() -> Lab {
    Lab::new(vec![pool("a55", 3, 3), pool("p9", 3, 3)])
}

fn held_reason(out: &Outcome, name: &str) -> String {
    let plan = out.json();
    let p = pool_of(&plan, name);
    assert_eq!(p["status"]["state"], "held", "{name} should be held: {p:#}");
    assert!(p["starts"].as_array().unwrap().is_empty());
    p["reason"].as_str().unwrap().to_string()
}

fn planned(out: &Outcome, name: &str) -> usize {
    let plan = out.json();
    let p = pool_of(&plan, name);
    assert_eq!(
        p["status"]["state"], "planned",
        "{name} should be planned: {p:#}"
    );
    p["starts"].as_array().unwrap().len()
}

#[test]
fn a_taskcluster_500_on_one_queue_holds_only_that_pool() {
    let lab = two_pools();
    lab.fleet.taskcluster.server().inject(
        "GET",
        "/api/queue/v1/task-queues/proj-autophone/gecko-t-p9",
        Fault::status(500),
    );
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(4);
    let reason = held_reason(&out, "p9");
    assert!(reason.contains("taskcluster: GET"), "{reason}");
    assert!(reason.contains("HTTP 500"), "{reason}");
    assert!(reason.contains("InternalServerError"), "{reason}");
    assert_eq!(planned(&out, "a55"), 3);
    assert!(
        out.stderr.contains("held"),
        "held pools are logged: {}",
        out.stderr
    );
}

#[test]
fn apply_with_a_held_pool_starts_only_the_healthy_pools() {
    let lab = two_pools();
    lab.fleet.taskcluster.server().inject(
        "GET",
        "/api/worker-manager/v1/provisioners/proj-autophone/worker-types/gecko-t-p9",
        Fault::status(503),
    );
    let out = lab.run(&["apply", lab.config_arg()]);
    out.expect_code(4);
    // a55's three launches, then `held   p9: source failed: taskcluster: …`.
    let _filters = wall_clock(text_filters()).bind_to_scope();
    insta::assert_snapshot!(out.stdout);
    let launched = lab.fleet.lambdatest.launches();
    assert_eq!(launched.len(), 3);
    assert!(
        launched
            .iter()
            .all(|j| j.labels.as_ref().unwrap()[1] == "a55")
    );
}

#[test]
fn a_lambdatest_401_holds_every_pool() {
    let lab = two_pools();
    let out = lab
        .command(&["plan", lab.config_arg(), "--format", "json"])
        .env("LT_ACCESS_KEY", WRONG_LT_ACCESS_KEY)
        .run();
    out.expect_code(4);
    for name in ["a55", "p9"] {
        let reason = held_reason(&out, name);
        assert!(reason.contains("lambdatest: GET"), "{reason}");
        assert!(reason.contains("HTTP 401"), "{reason}");
    }
}

#[test]
fn a_timeout_holds_and_says_no_response() {
    let lab = two_pools();
    lab.fleet
        .lambdatest
        .server()
        .inject("GET", "/mobile-automation", Fault::delay(4000));
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(4);
    let reason = held_reason(&out, "a55");
    assert!(reason.contains("lambdatest: GET"), "{reason}");
    assert!(reason.contains("no response"), "{reason}");
}

#[test]
fn malformed_json_holds_and_says_so() {
    let lab = two_pools();
    lab.fleet
        .lambdatest
        .server()
        .inject("GET", "/v1.0/jobs", Fault::malformed_json());
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(4);
    let reason = held_reason(&out, "p9");
    assert!(reason.contains("unexpected response"), "{reason}");
}

#[test]
fn a_cursor_that_does_not_advance_is_an_error_not_a_loop() {
    let mut lab = two_pools();
    lab.set_lambdatest_extra("    page_size: 2\n");
    for _ in 0..5 {
        lab.fleet
            .lambdatest
            .add_job(None, "completed", jiff::Timestamp::now());
    }
    lab.fleet
        .lambdatest
        .server()
        .inject("GET", "/v1.0/jobs", Fault::stale_cursor());
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(4);
    let reason = held_reason(&out, "a55");
    assert!(reason.contains("did not advance"), "{reason}");
    let pages = lab
        .requests()
        .iter()
        .filter(|r| r.path == "/v1.0/jobs" && !r.query.contains("status="))
        .count();
    assert_eq!(pages, 2, "stops at the first repeated page");
}

#[test]
fn a_503_then_success_is_retried_and_plans_normally() {
    let lab = two_pools();
    lab.fleet.lambdatest.server().inject(
        "GET",
        "/mobile-automation",
        Fault::status(503).with_header("Retry-After", "0").times(1),
    );
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    assert_eq!(planned(&out, "a55"), 3);
    let device_reads = lab
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("privatecloud_devices"))
        .count();
    assert_eq!(device_reads, 2);
}

#[test]
fn an_unreachable_api_holds_with_no_response() {
    let mut lab = two_pools();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let yaml = lab
        .config_yaml()
        .replace(&lab.fleet.taskcluster.url(), &url);
    std::fs::write(&lab.config, yaml).unwrap();
    lab.lambdatest_extra.clear();
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(4);
    assert!(held_reason(&out, "a55").contains("no response"));
}

#[test]
fn a_per_source_timeout_holds_only_the_slow_source() {
    let lab = two_pools();
    let yaml = lab.config_yaml().replace(
        &format!("    root_url: {}\n", lab.fleet.taskcluster.url()),
        &format!(
            "    root_url: {}\n    timeout: 300ms\n",
            lab.fleet.taskcluster.url()
        ),
    );
    std::fs::write(&lab.config, yaml).unwrap();
    lab.fleet
        .taskcluster
        .server()
        .inject("GET", "/api/queue", Fault::delay(800));
    lab.fleet
        .lambdatest
        .server()
        .inject("GET", "/", Fault::delay(800));
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(4);
    for name in ["a55", "p9"] {
        let reason = held_reason(&out, name);
        assert!(reason.starts_with("source failed: taskcluster"), "{reason}");
        assert!(reason.contains("no response"), "{reason}");
    }
}
