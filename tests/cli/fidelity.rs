//! Real-API fidelity (issue 8), through the binary: shapes the real GitLab, Docker and
//! LambdaTest send that devicepool once misread. Each test names the upstream behaviour it
//! stands for; the fakes are set up to answer exactly as the real API does.

use jiff::{SignedDuration, Timestamp};

use crate::runners::RunnerLab;
use crate::support::{Lab, pool, pool_of, udid};

/// GitLab's project jobs listing presents `Entities::Ci::Job`, whose `project` has been
/// `{"ci_job_token_scope_enabled": false}` (no `id`) since 2022: a pending job must still be
/// read, and a runner started for it.
#[test]
fn a_pending_job_whose_project_has_no_id_still_gets_a_runner() {
    let lab = RunnerLab::new("");
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    let out = lab.run(&["plan", "--format", "json"]);
    let plan = out.json();
    let pool = &plan["runner_pools"][0];
    assert_eq!(pool["status"]["state"], "planned", "{}", out.stdout);
    assert_eq!(
        pool["starts"].as_array().unwrap().len(),
        1,
        "{}",
        out.stdout
    );
    let listing = lab
        .fleet
        .gitlab
        .server()
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/jobs") && r.path.contains("/projects/"))
        .expect("the project's jobs were read");
    assert!(listing.query.contains("scope"), "{}", listing.query);
}

/// A pending job's tags decide which pool needs a runner: a job without `tag_list` is not
/// read as untagged (its demand would vanish and idle runners be removed on a guess).
#[test]
fn a_pending_job_without_its_tags_holds_the_pool_not_read_as_untagged() {
    let lab = RunnerLab::new("");
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    let untagged = r#"[{"id":7,"status":"pending","name":"build","stage":"test"}]"#;
    lab.fleet.gitlab.server().inject(
        "GET",
        "/api/v4/projects/",
        devicepool_sim::Fault::status(200).with_body(untagged),
    );
    let out = lab.run(&["plan", "--format", "json"]);
    let plan = out.json();
    let pool = &plan["runner_pools"][0];
    assert_eq!(pool["status"]["state"], "held", "{}", out.stdout);
    let reason = pool["status"]["reason"].as_str().unwrap();
    assert!(reason.contains("tag_list"), "{reason}");
    assert!(pool["removals"].as_array().unwrap().is_empty());
}

/// HyperExecute numbers jobs in one order and stamps `created_at` in another (a job can be
/// numbered after jobs created later). The read goes on past a page holding an old job, so
/// our queued job on the next page is seen and its device is not started twice.
#[test]
fn an_old_job_on_the_first_page_does_not_hide_our_queued_job_on_the_next() {
    let mut lab = Lab::new(vec![pool("a55", 2, 2)]);
    lab.set_lambdatest_extra("    page_size: 5\n    job_window: 1h\n");
    let now = Timestamp::now();
    let lt = &lab.fleet.lambdatest;
    let ours = vec!["tcdp".to_string(), "a55".to_string(), udid("a55", 1)];
    lt.add_job(Some(ours), "initiated", now - SignedDuration::from_mins(5));
    // Five later-numbered jobs of someone else; the first of them created hours ago.
    lt.add_job(None, "completed", now - SignedDuration::from_hours(3));
    for minutes in 1..=4 {
        lt.add_job(None, "completed", now - SignedDuration::from_mins(minutes));
    }
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let a55 = pool_of(&plan, "a55");
    let starts: Vec<&str> = a55["starts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["udid"].as_str().unwrap())
        .collect();
    let second = udid("a55", 2);
    assert_eq!(starts, [second.as_str()], "{a55:#}");
    assert_eq!(a55["numbers"]["in_flight"], 1, "{a55:#}");
}

/// Docker Engine 29.0 refuses clients below API 1.44 (`client version 1.41 is too old`).
/// devicepool asks `/_ping` for the daemon's version and speaks it, so runners start.
#[test]
fn a_docker_29_daemon_is_spoken_to_in_a_version_it_accepts() {
    let lab = RunnerLab::new("");
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    let out = lab.run(&["apply", "--format", "json"]);
    out.expect_code(0);
    let docker = lab.fleet.docker.server().requests();
    assert_eq!(docker[0].path, "/_ping", "negotiated before anything else");
    let create = docker
        .iter()
        .find(|r| r.method == "POST" && r.path.ends_with("/containers/create"))
        .unwrap_or_else(|| panic!("no container created: {}", out.stdout));
    assert_eq!(create.path, "/v1.52/containers/create");
    assert_eq!(lab.fleet.docker.containers().len(), 1);
    assert_eq!(lab.runner_ids().len(), 1);
}

/// A daemon newer than devicepool is spoken to in devicepool's newest version; one older
/// than devicepool's oldest holds the pools that need it, saying so, and touches nothing.
#[test]
fn a_daemon_too_old_holds_the_runner_pool_and_a_newer_one_gets_our_newest() {
    let lab = RunnerLab::new("");
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    lab.fleet.docker.set_api_versions("1.40", "1.56");
    let out = lab.run(&["plan", "--format", "json"]);
    out.expect_code(0);
    let listed = lab.fleet.docker.server().requests();
    assert!(
        listed.iter().any(|r| r.path == "/v1.52/containers/json"),
        "{listed:?}"
    );

    lab.fleet.docker.set_api_versions("1.24", "1.40");
    let out = lab.run(&["apply", "--format", "json"]);
    out.expect_code(4);
    let pool = &out.json()["held"][0];
    let why = pool["reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("1.40") && why.contains("1.41") && why.contains("upgrade Docker"),
        "{}",
        out.stdout
    );
    assert!(lab.runner_ids().is_empty(), "no runner registered");
    assert!(lab.fleet.docker.containers().is_empty());
}

/// Podman 4 and 5 and Docker Engine 20.10 (Debian 12's `docker.io`) answer `/_ping` with
/// `Api-Version: 1.41`: devicepool speaks 1.41 to them, every request under `/v1.41/`.
#[test]
fn a_daemon_speaking_api_1_41_gets_runners_in_its_own_version() {
    let lab = RunnerLab::new("");
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    lab.fleet.docker.set_api_versions("1.12", "1.41");
    let out = lab.run(&["apply", "--format", "json"]);
    out.expect_code(0);
    assert_eq!(out.json()["plan"]["runner_pools"][0]["docker_api"], "1.41");
    let docker = lab.fleet.docker.server().requests();
    assert_eq!(docker[0].path, "/_ping", "negotiated first");
    let versioned = docker.iter().filter(|r| r.path != "/_ping");
    assert!(
        versioned.clone().all(|r| r.path.starts_with("/v1.41/")),
        "{docker:?}"
    );
    assert!(docker.iter().any(|r| r.path == "/v1.41/containers/create"));
    assert_eq!(lab.fleet.docker.containers().len(), 1);
    assert_eq!(lab.runner_ids().len(), 1);
}

/// `HostConfig.Annotations` came in Engine API 1.43 (moby's version history); a 1.41 daemon
/// drops it without a word. A template using it holds the pool at `plan` time, naming the
/// key and both versions, and nothing is registered or created; a 1.43+ daemon gets it.
#[test]
fn a_template_key_newer_than_the_daemon_holds_the_pool_at_plan_time() {
    let lab = RunnerLab::new("    template: annotated.json.j2\n");
    let builtin = std::fs::read_to_string(format!(
        "{}/templates/gitlab-runner.json.j2",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let annotated = builtin.replace(
        "\"HostConfig\": {",
        "\"HostConfig\": {\n    \"Annotations\": {\"lab.example/owner\": \"ci\"},",
    );
    assert_ne!(annotated, builtin);
    lab.write_template("annotated.json.j2", &annotated);
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    lab.fleet.docker.set_api_versions("1.12", "1.41");

    let out = lab.run(&["plan", "--format", "json"]);
    out.expect_code(4);
    let pool = &out.json()["runner_pools"][0];
    assert_eq!(pool["status"]["state"], "held", "{pool:#}");
    let why = pool["reason"].as_str().unwrap_or_default();
    assert!(
        why.contains("annotated.json.j2: HostConfig.Annotations needs Docker Engine API 1.43")
            && why.contains("the daemon speaks 1.41"),
        "{why}"
    );
    let out = lab.run(&["apply", "--format", "json"]);
    out.expect_code(4);
    assert!(lab.runner_ids().is_empty(), "no runner registered");
    assert!(lab.fleet.docker.containers().is_empty());

    lab.fleet.docker.set_api_versions("1.12", "1.43");
    lab.run(&["apply", "--format", "json"]).expect_code(0);
    let containers = lab.fleet.docker.containers();
    assert_eq!(containers.len(), 1);
    assert_eq!(
        containers[0].host_config["Annotations"]["lab.example/owner"],
        "ci"
    );
}
