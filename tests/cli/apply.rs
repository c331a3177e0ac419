//! `devicepool apply`: launches what the plan says, converges, reports failures per launch,
//! honours saved plans and the run lock.

use devicepool_sim::Fault;

use crate::support::{
    Lab, Running, files_under, pool, pool_of, skip_lines, text_filters, tried, udid, wall_clock,
};

#[test]
fn apply_then_plan_converges_even_once_jobs_run() {
    let lab = Lab::new(vec![
        pool("a55", 20, 20).max_starts(20),
        pool("p9", 20, 20).max_starts(20),
        pool("s24", 20, 20).max_starts(20),
    ]);
    let out = lab.run(&["apply", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let report = out.json();
    let launches = tried(&report, "device_pool");
    assert_eq!(launches.len(), 60);
    assert!(
        launches
            .iter()
            .all(|l| l["outcome"] == "done" && l["exit_code"] == 0)
    );
    let registered = lab.fleet.lambdatest.launches();
    assert_eq!(registered.len(), 60);
    let mut devices: Vec<String> = registered
        .iter()
        .filter_map(|j| j.fixed_ip.clone())
        .collect();
    devices.sort();
    devices.dedup();
    assert_eq!(devices.len(), 60, "one job per device");
    assert!(registered.iter().all(|j| j.status == "initiated"));

    let again = lab.run(&[
        "plan",
        lab.config_arg(),
        "--format",
        "json",
        "--detailed-exitcode",
    ]);
    again.expect_code(0);
    let plan = again.json();
    for name in ["a55", "p9", "s24"] {
        let p = pool_of(&plan, name);
        assert_eq!(p["numbers"]["waiting"], 20);
        assert_eq!(p["numbers"]["in_flight"], 20);
        assert_eq!(p["starts"].as_array().unwrap().len(), 0);
    }

    // The jobs get their devices: devices turn busy, jobs running. Still nothing new.
    assert_eq!(lab.fleet.lambdatest.start_initiated_jobs(), 60);
    lab.run(&["plan", lab.config_arg(), "--detailed-exitcode"])
        .expect_code(0);
    // Job directories were private and are gone.
    assert!(files_under(&lab.path(".devicepool/jobs")).is_empty());
}

#[test]
fn one_failed_launch_does_not_stop_the_others_and_exits_partial() {
    let lab = Lab::new(vec![pool("a55", 5, 5)]);
    lab.fleet
        .lambdatest
        .server()
        .inject("POST", "/__sim/launch", Fault::status(500).times(1));
    let out = lab.run(&["apply", lab.config_arg()]);
    out.expect_code(3);
    // Not a snapshot: which of the parallel launches meets the fault varies from run to run.
    assert!(
        out.stdout.contains("Apply: launched 4 of 5 job(s)"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("FAILED"), "{}", out.stdout);
    assert!(
        out.stdout.contains("hyperexecute exited with status 1"),
        "{}",
        out.stdout
    );
    assert_eq!(lab.fleet.lambdatest.launches().len(), 4);
}

#[test]
fn a_missing_cli_fails_every_launch_with_its_path() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    std::fs::remove_file(&lab.cli).unwrap();
    let out = lab.run(&["apply", lab.config_arg()]);
    out.expect_code(3);
    // Both launches `FAILED … cannot run [lab]/hyperexecute` (the lab's CLI path).
    let _filters = wall_clock(text_filters()).bind_to_scope();
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn a_saved_plan_applies_and_skips_exactly_the_drifted_starts() {
    let lab = Lab::new(vec![pool("a55", 4, 4)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    // The world moves: one device is taken by someone else, another gets a job of ours.
    lab.fleet
        .lambdatest
        .set_device_status(&udid("a55", 2), "busy");
    lab.fleet.lambdatest.add_job(
        Some(vec!["tcdp".into(), "a55".into(), udid("a55", 3)]),
        "initiated",
        jiff::Timestamp::now(),
    );
    let out = lab.run(&[
        "apply",
        lab.config_arg(),
        "--plan",
        "plan.json",
        "--format",
        "json",
    ]);
    out.expect_code(0);
    let report = out.json();
    let launched: Vec<&str> = tried(&report, "device_pool")
        .iter()
        .map(|l| l["target"].as_str().unwrap())
        .collect();
    assert_eq!(launched, vec!["A55-01", "A55-04"]);
    let skipped = skip_lines(&report);
    assert_eq!(skipped.len(), 2, "{skipped:#?}");
    assert_eq!(skipped[0], "a55 A55-02: device is busy now (busy)");
    assert!(
        skipped[1].starts_with("a55 A55-03: device is in flight now"),
        "{skipped:#?}"
    );
}

#[test]
fn a_saved_plan_from_another_config_or_expired_is_refused() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    let text = std::fs::read_to_string(lab.path("plan.json")).unwrap();
    let mut plan: serde_json::Value = serde_json::from_str(&text).unwrap();
    plan["snapshot_at"] = "2020-01-01T00:00:00Z".into();
    std::fs::write(lab.path("old.json"), plan.to_string()).unwrap();
    let out = lab.run(&["apply", lab.config_arg(), "--plan", "old.json"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("expired at 2020-01-01T00:15:00Z"),
        "{}",
        out.stderr
    );

    std::fs::write(&lab.config, lab.config_yaml() + "# edited\n").unwrap();
    let out = lab.run(&["apply", lab.config_arg(), "--plan", "plan.json"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("made from another desired state"),
        "{}",
        out.stderr
    );
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn a_second_apply_while_the_lock_is_held_exits_5_and_names_the_holder() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    let state = lab.path(".devicepool");
    std::fs::create_dir_all(&state).unwrap();
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(state.join("lock"))
        .unwrap();
    lock.try_lock().unwrap();
    std::fs::write(
        state.join("lock"),
        "host testbox, pid 4242, since 2026-11-25T10:00:00Z\n",
    )
    .unwrap();
    // A relative config path: the lock is still shown as an absolute path.
    let out = lab.run(&["apply", "plans/devicepool.yaml"]);
    out.expect_code(5);
    assert!(out.stderr.contains("pid 4242"), "{}", out.stderr);
    let absolute = std::fs::canonicalize(&state).unwrap().join("lock");
    assert!(
        out.stderr
            .contains(&format!("holds the lock {}:", absolute.display())),
        "{}",
        out.stderr
    );
    assert!(lab.fleet.lambdatest.launches().is_empty());
    drop(lock);
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
}

#[test]
fn a_relative_cli_path_is_taken_from_the_desired_state_file() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    let yaml = lab
        .config_yaml()
        .replace(&lab.cli.display().to_string(), "../hyperexecute");
    std::fs::write(&lab.config, yaml).unwrap();
    lab.run(&["apply", "plans/devicepool.yaml"]).expect_code(0);
    assert_eq!(lab.fleet.lambdatest.launches().len(), 2);
}

#[test]
fn a_saved_plan_applied_while_a_source_fails_holds_and_exits_4() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    lab.fleet
        .taskcluster
        .server()
        .inject("GET", "/api/queue", Fault::status(500));
    let out = lab.run(&["apply", lab.config_arg(), "--plan", "plan.json"]);
    out.expect_code(4);
    // `skipped a55 A55-01: pool is held now`, and the hold with its reason.
    let _filters = wall_clock(text_filters()).bind_to_scope();
    insta::assert_snapshot!(out.stdout);
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn ten_concurrent_applies_start_each_job_once() {
    let lab = Lab::new(vec![pool("a55", 6, 6), pool("p9", 6, 6)]);
    // Slow launches keep the first apply inside its lock while the others arrive.
    lab.fleet
        .lambdatest
        .server()
        .inject("POST", "/__sim/launch", Fault::delay(300));
    let children: Vec<Running> = (0..10)
        .map(|_| {
            lab.command(&["apply", lab.config_arg(), "--format", "json"])
                .spawn()
        })
        .collect();
    let mut launched_by = Vec::new();
    let mut codes = Vec::new();
    for child in children {
        let out = child.wait();
        codes.push(out.code);
        if out.code == 0 {
            launched_by.push(tried(&out.json(), "device_pool").len());
        }
    }
    assert!(codes.iter().all(|c| *c == 0 || *c == 5), "{codes:?}");
    assert!(
        codes.contains(&5),
        "some runs found the lock taken: {codes:?}"
    );
    assert_eq!(
        launched_by.iter().filter(|n| **n > 0).count(),
        1,
        "{launched_by:?}"
    );
    let launches = lab.fleet.lambdatest.launches();
    assert_eq!(launches.len(), 12);
    let mut devices: Vec<String> = launches.iter().filter_map(|j| j.fixed_ip.clone()).collect();
    devices.sort();
    devices.dedup();
    assert_eq!(devices.len(), 12, "no device got two jobs");
}

#[test]
fn an_apply_killed_mid_launch_converges_without_duplicates() {
    let lab = Lab::new(vec![pool("a55", 6, 6), pool("p9", 6, 6)]);
    lab.fleet
        .lambdatest
        .server()
        .inject("POST", "/__sim/launch", Fault::delay(1500));
    let mut first = lab.command(&["apply", lab.config_arg()]).spawn();
    let in_flight = || {
        lab.fleet
            .lambdatest
            .server()
            .requests()
            .iter()
            .filter(|r| r.path == "/__sim/launch")
            .count()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while in_flight() < 10 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let first_pid = first.id();
    first.kill(); // SIGKILL: no cleanup runs
    first.wait();
    // Its launches are still on their way: they hold the lock, so nobody plans around them.
    let locked = lab.run(&["apply", lab.config_arg()]);
    locked.expect_code(5);
    assert!(
        locked.stderr.contains(&format!(
            "pid {first_pid} has exited; a job it launched still holds the lock"
        )),
        "{}",
        locked.stderr
    );
    let mut attempts = 0;
    let done = loop {
        let out = lab.run(&["apply", lab.config_arg()]);
        if out.code != 5 || attempts > 100 {
            break out;
        }
        attempts += 1;
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    done.expect_code(0);
    lab.run(&["plan", lab.config_arg(), "--detailed-exitcode"])
        .expect_code(0);
    let launches = lab.fleet.lambdatest.launches();
    let mut devices: Vec<String> = launches.iter().filter_map(|j| j.fixed_ip.clone()).collect();
    devices.sort();
    let total = devices.len();
    devices.dedup();
    assert_eq!(
        (total, devices.len()),
        (12, 12),
        "every device once, none twice"
    );
}

#[test]
fn the_apply_report_is_versioned_typed_and_matches_its_committed_schema() {
    let lab = Lab::new(vec![pool("a55", 3, 3)]);
    lab.fleet
        .lambdatest
        .server()
        .inject("POST", "/__sim/launch", Fault::status(500).times(1));
    let out = lab.run(&["apply", lab.config_arg(), "--format", "json"]);
    out.expect_code(3);
    let report = out.json();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report["format"], 1);
    let launches = tried(&report, "device_pool");
    let outcomes: Vec<&str> = launches
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        (
            outcomes.iter().filter(|o| **o == "done").count(),
            outcomes.len()
        ),
        (2, 3),
        "{outcomes:?}"
    );
    for action in launches {
        assert_eq!(action["action"], "start_job");
        assert!(action["target"].as_str().unwrap().starts_with("A55-"));
        match action["outcome"].as_str().unwrap() {
            "done" => assert!(action.get("error").is_none() && action["job_id"].is_string()),
            // The CLI exited non-zero: the class says so, whatever the message.
            _ => assert_eq!(action["error"]["class"], "cli", "{action:#}"),
        }
    }
}
