//! `devicepool plan`: the rules give exactly the planned starts, with reasons; plan never
//! mutates anything.

use crate::support::{Lab, pool, pool_of, udid};

#[test]
fn sixty_pending_and_sixty_free_devices_plan_sixty_starts_with_reasons() {
    let lab = Lab::new(vec![
        pool("a55", 20, 20).max_starts(20),
        pool("p9", 20, 20).max_starts(20),
        pool("s24", 20, 20).max_starts(20),
    ]);
    let out = lab.run(&[
        "plan",
        lab.config_arg(),
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    out.expect_code(2);
    let plan = out.json();
    for name in ["a55", "p9", "s24"] {
        let p = pool_of(&plan, name);
        assert_eq!(p["status"]["state"], "planned");
        assert_eq!(p["starts"].as_array().unwrap().len(), 20, "{name}");
        assert_eq!(p["bound"], "demand");
        assert_eq!(p["reason"], "demand met: wanted 20, starting 20");
        assert_eq!(p["numbers"]["free"], 20);
        let labels = &p["starts"][0]["labels"];
        assert_eq!(labels[0], "tcdp");
        assert_eq!(labels[1], name);
    }
}

#[test]
fn each_rule_that_binds_is_named_with_its_numbers() {
    let lab = Lab::new(vec![
        pool("a55", 20, 30),
        pool("p9", 20, 5),
        pool("s24", 20, 20).max_starts(20),
    ]);
    for i in 1..=15 {
        lab.fleet
            .lambdatest
            .set_device_status(&udid("s24", i), "busy");
    }
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let a55 = pool_of(&plan, "a55");
    assert_eq!(
        a55["reason"],
        "clipped by max_starts_per_run: demand 30, wanted 10, starting 10"
    );
    assert_eq!(a55["bound"], "max_starts_per_run");
    let p9 = pool_of(&plan, "p9");
    assert_eq!(p9["reason"], "demand met: wanted 5, starting 5");
    let s24 = pool_of(&plan, "s24");
    assert_eq!(
        s24["reason"],
        "clipped by free devices: demand 20, wanted 5, starting 5"
    );
    assert_eq!(s24["numbers"]["active"], 5);
    assert_eq!(s24["starts"].as_array().unwrap().len(), 5);
}

#[test]
fn org_headroom_is_shared_round_robin_and_named() {
    let mut lab = Lab::new(vec![pool("a55", 10, 10), pool("p9", 10, 10)]);
    lab.set_lambdatest_extra("    max_initiated: 5\n");
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let starts: Vec<usize> = ["a55", "p9"]
        .iter()
        .map(|n| pool_of(&plan, n)["starts"].as_array().unwrap().len())
        .collect();
    assert_eq!(starts, vec![3, 2]);
    assert_eq!(
        pool_of(&plan, "p9")["reason"],
        "clipped by max_initiated: wanted 10, starting 2"
    );
}

#[test]
fn plan_sends_only_reads_and_never_runs_the_cli() {
    let lab = Lab::new(vec![pool("a55", 5, 5), pool("p9", 5, 5)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    let requests = lab.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        assert_eq!(r.method, "GET", "plan sent {} {}", r.method, r.path);
        assert!(
            !r.path.starts_with("/__sim"),
            "plan ran the CLI: {}",
            r.path
        );
    }
    assert!(lab.fleet.lambdatest.launches().is_empty());
    assert!(lab.path("plan.json").is_file());
}

#[test]
fn every_page_is_read_once_and_the_history_stops_at_the_window() {
    let mut lab = Lab::new(vec![pool("a55", 4, 4)]);
    lab.set_lambdatest_extra("    page_size: 5\n    job_window: 1h\n");
    let now = jiff::Timestamp::now();
    // Oldest first, so job numbers grow with time as they do in a real org.
    for i in 0..30 {
        let at =
            now - jiff::SignedDuration::from_hours(4) + jiff::SignedDuration::from_mins(30 - i);
        lab.fleet.lambdatest.add_job(None, "completed", at);
    }
    for i in 0..12 {
        let at = now - jiff::SignedDuration::from_mins(21 - i);
        lab.fleet.lambdatest.add_job(
            Some(vec!["tcdp".into(), "other".into(), "X".into()]),
            "completed",
            at,
        );
    }
    lab.fleet.taskcluster.set_page_size(1);
    lab.fleet.taskcluster.add_worker(
        "proj-autophone/gecko-t-a55",
        "A55-01",
        Some(now + jiff::SignedDuration::from_hours(1)),
    );
    lab.fleet.taskcluster.add_worker(
        "proj-autophone/gecko-t-a55",
        "A55-02",
        Some(now + jiff::SignedDuration::from_hours(1)),
    );
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    assert_eq!(pool_of(&out.json(), "a55")["numbers"]["quarantined"], 2);
    let requests = lab.requests();
    let job_pages: Vec<String> = requests
        .iter()
        .filter(|r| r.path == "/v1.0/jobs" && !r.query.contains("status="))
        .map(|r| r.query.clone())
        .collect();
    // 12 jobs inside the window at 5 per page: pages 1-3; page 3 also reaches older jobs,
    // and page 4 is the first wholly past the window, which ends the read.
    assert_eq!(job_pages.len(), 4, "{job_pages:#?}");
    let mut unique = job_pages.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), job_pages.len(), "a page was read twice");
    let worker_pages = requests
        .iter()
        .filter(|r| r.path.contains("/workers"))
        .count();
    assert_eq!(worker_pages, 2, "two quarantined workers at one per page");
    let device_reads = requests
        .iter()
        .filter(|r| r.path.ends_with("privatecloud_devices"))
        .count();
    assert_eq!(device_reads, 1);
}

#[test]
fn render_shows_the_job_file_with_secrets_redacted() {
    let lab = Lab::new(vec![pool("a55", 3, 0)]);
    let out = lab.run(&[
        "render",
        lab.config_arg(),
        "--pool",
        "a55",
        "--udid",
        "A55-02",
    ]);
    out.expect_code(0);
    assert!(out.stdout.contains("fixedIP: \"A55-02\""), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("TASKCLUSTER_ACCESS_TOKEN: \"<redacted>\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("concurrency: 1"));
    assert!(out.stdout.contains("runson: android"));
    assert!(lab.requests().is_empty(), "render must not read any API");
}

#[test]
fn a_template_that_fails_strict_rendering_holds_only_its_pool() {
    let lab = Lab::new(vec![pool("a55", 2, 2), pool("p9", 2, 2)]);
    lab.use_template(
        "a55",
        "broken.yaml.j2",
        "fixedIP: {{ udid }}\nmissing: {{ no_such_value }}\n",
    );
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(4);
    let plan = out.json();
    let a55 = pool_of(&plan, "a55");
    assert_eq!(a55["status"]["state"], "held");
    let reason = a55["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("cannot render job file: template broken.yaml.j2"),
        "{reason}"
    );
    assert!(
        reason.contains("no_such_value") || reason.contains("undefined"),
        "{reason}"
    );
    assert_eq!(pool_of(&plan, "p9")["starts"].as_array().unwrap().len(), 2);
}
