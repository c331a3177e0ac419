//! Edited and careless saved plans (`apply --plan`): the saved plan only selects among the
//! actions a fresh plan of the current desired state would take. Duplicates run once; edited
//! labels, tags and runner names never reach an API; expiry comes from the desired state.

use serde_json::{Value, json};

use crate::racks::RackLab;
use crate::runners::RunnerLab;
use crate::support::{Lab, Outcome, pool, skip_lines, text_filters, udid, wall_clock};

/// Reads the saved plan at `path`, lets `edit` change it, writes it back.
fn edit_plan(path: &std::path::Path, edit: impl FnOnce(&mut Value)) {
    let mut plan: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut plan);
    std::fs::write(path, plan.to_string()).unwrap();
}

/// `apply --plan <file> --format json` in a device-pool lab.
fn apply_saved(lab: &Lab, file: &str) -> Outcome {
    lab.run(&[
        "apply",
        lab.config_arg(),
        "--plan",
        file,
        "--format",
        "json",
    ])
}

/// The `skipped` reasons of an apply report.
fn skip_reasons(report: &Value) -> Vec<String> {
    skip_lines(report)
}

#[test]
fn a_start_or_pool_listed_again_launches_each_device_once() {
    let lab = Lab::new(vec![pool("a55", 5, 5)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    edit_plan(&lab.path("plan.json"), |plan| {
        let entry = plan["device_pools"][0].clone();
        let first = entry["starts"][0].clone();
        let starts = plan["device_pools"][0]["starts"].as_array_mut().unwrap();
        starts.extend([first.clone(), first.clone(), first]);
        plan["device_pools"].as_array_mut().unwrap().push(entry);
    });
    let out = apply_saved(&lab, "plan.json");
    out.expect_code(0);
    let devices = lab.launched_devices();
    let expected: Vec<String> = (1..=5).map(|i| udid("a55", i)).collect();
    assert_eq!(devices, expected, "every device once, none twice");
    let reasons = skip_reasons(&out.json());
    assert_eq!(reasons.len(), 8, "{reasons:#?}");
    assert!(
        reasons
            .iter()
            .all(|r| r.contains("listed more than once in the saved plan")),
        "{reasons:#?}"
    );
}

#[test]
fn edited_job_labels_are_never_launched() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    let victim = udid("a55", 1);
    let mut spec = String::new();
    edit_plan(&lab.path("plan.json"), |plan| {
        let kept = &plan["device_pools"][0]["starts"][1]["labels"];
        spec = kept[4].as_str().unwrap_or_default().to_string();
        plan["device_pools"][0]["starts"][0]["labels"] = json!(["other-team", "suite-x", victim]);
    });
    assert!(
        spec.starts_with("spec:"),
        "the saved start carries its spec: {spec:?}"
    );
    let out = apply_saved(&lab, "plan.json");
    out.expect_code(0);
    let launches = lab.fleet.lambdatest.launches();
    let labels: Vec<Option<Vec<String>>> = launches.iter().map(|j| j.labels.clone()).collect();
    assert_eq!(
        labels,
        vec![Some(vec![
            "tcdp".into(),
            "a55".into(),
            udid("a55", 2),
            "fleet:default".into(),
            spec.clone()
        ])],
        "only the unedited start ran, with the desired state's labels"
    );
    let reasons = skip_reasons(&out.json());
    assert_eq!(
        reasons,
        vec![format!(
            "a55 {victim}: the saved plan's labels other-team,suite-x,{victim} are not the ones the desired state gives (tcdp,a55,{victim},fleet:default,{spec})"
        )]
    );
    // The device was left free: a fresh apply starts it once, as ours.
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    let on_victim = lab
        .fleet
        .lambdatest
        .launches()
        .into_iter()
        .filter(|j| j.fixed_ip.as_deref() == Some(victim.as_str()))
        .count();
    assert_eq!(on_victim, 1);
}

#[test]
fn an_edited_runner_name_or_tags_registers_nothing() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    for _ in 0..3 {
        gl.add_pending_job("group/app", &["autogit"]);
    }
    lab.run(&["plan", "--out", "plan.json"]).expect_code(0);
    let path = lab.config.with_file_name("plan.json");
    edit_plan(&path, |plan| {
        let starts = plan["runner_pools"][0]["starts"].as_array_mut().unwrap();
        assert_eq!(starts.len(), 3, "{starts:#?}");
        starts[0]["name"] = json!("totally-unmanaged-runner");
        starts[1]["tags"] = json!(["prod-deploy", "gpu"]);
        let third = starts[2].clone();
        starts.push(third);
    });
    let out = lab.run(&["apply", "--plan", "plan.json", "--format", "json"]);
    out.expect_code(0);
    let runners = gl.runners();
    assert_eq!(
        runners.len(),
        1,
        "only the untouched start ran: {runners:#?}"
    );
    assert!(
        runners[0].description.ends_with("-3 fleet:default"),
        "{runners:#?}"
    );
    assert_eq!(runners[0].tags, vec!["autogit", "docker"]);
    let containers = lab.fleet.docker.containers();
    assert_eq!(containers.len(), 1, "{containers:#?}");
    let reasons = skip_reasons(&out.json()).join("\n");
    assert!(
        reasons.contains("totally-unmanaged-runner: not a runner name devicepool gives"),
        "{reasons}"
    );
    assert!(
        reasons.contains("tags prod-deploy,gpu are not the ones the desired state gives"),
        "{reasons}"
    );
    assert!(
        reasons.contains("listed more than once in the saved plan"),
        "{reasons}"
    );
}

#[test]
fn edited_deploy_tags_are_never_submitted() {
    let lab = RackLab::new();
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    let path = lab.config.with_file_name("plan.json");
    let (edited, doubled) = ("host-01", "host-02");
    edit_plan(&path, |plan| {
        let deploys = plan["racks"][0]["deploys"].as_array_mut().unwrap();
        assert_eq!(deploys[0]["agent"], edited);
        assert_eq!(deploys[1]["agent"], doubled);
        deploys[0]["tags"] = json!(["other-team", "prod-deploy"]);
        let again = deploys[1].clone();
        deploys.push(again);
    });
    let out = lab.run(&["apply", lab.config_arg(), "--plan", "plan.json"]);
    out.expect_code(0);
    let submitted = lab.submitted_agents();
    assert!(!submitted.iter().any(|a| a == edited), "{submitted:?}");
    assert_eq!(
        submitted.iter().filter(|a| *a == doubled).count(),
        1,
        "{submitted:?}"
    );
    let foreign = lab.fleet.testflinger.submissions().into_iter().any(|s| {
        s["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("other-team")))
    });
    assert!(!foreign, "a job with the edited tags was submitted");
    // host-01 skipped: `tags other-team,prod-deploy are not the ones the desired state gives`;
    // host-02 deployed once, its second listing skipped.
    let _filters = text_filters().bind_to_scope();
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn expiry_is_the_snapshot_time_plus_the_current_plan_lifetime() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    let saved = std::fs::read_to_string(lab.path("plan.json")).unwrap();
    std::fs::write(lab.path("old.json"), &saved).unwrap();
    edit_plan(&lab.path("old.json"), |plan| {
        plan["snapshot_at"] = json!("2020-01-01T00:00:00Z");
        plan["expires_at"] = json!("2999-01-01T00:00:00Z");
    });
    let out = apply_saved(&lab, "old.json");
    out.expect_code(1);
    let expected = "old.json expired at 2020-01-01T00:15:00Z (snapshot 2020-01-01T00:00:00Z";
    assert!(out.stderr.contains(expected), "{}", out.stderr);
    std::fs::write(lab.path("future.json"), &saved).unwrap();
    edit_plan(&lab.path("future.json"), |plan| {
        plan["snapshot_at"] = json!("2999-01-01T00:00:00Z");
        plan["expires_at"] = json!("2999-01-01T00:15:00Z");
    });
    let out = apply_saved(&lab, "future.json");
    out.expect_code(1);
    let expected = "its snapshot is dated 2999-01-01T00:00:00Z, after now";
    assert!(out.stderr.contains(expected), "{}", out.stderr);
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn a_saved_plan_names_its_desired_state_by_sha256() {
    use sha2::Digest;
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(lab.path("plan.json")).unwrap()).unwrap();
    let bytes = std::fs::read(&lab.config).unwrap();
    let hex: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(plan["config_hash"], format!("sha256:{hex}"));
}

#[test]
fn the_confirmation_shows_what_runs_after_the_recheck() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    // A55-01's saved start gets foreign labels; A55-02's is kept.
    let edited = udid("a55", 1);
    edit_plan(&lab.path("plan.json"), |plan| {
        plan["device_pools"][0]["starts"][0]["labels"] = json!(["other-team", "suite-x", edited]);
    });
    let out = lab
        .command(&["apply", lab.config_arg(), "--plan", "plan.json"])
        .run_in_terminal("no\n");
    // A refusal exits 1: nothing was done, and a wrapper must not take it for success.
    out.expect_code(1);
    // The terminal echoes the typed `no` as soon as it is typed, wherever the output then is.
    let shown = out.stdout.replace('\r', "").replacen("no\n", "", 1);
    // A55-02's start, `the saved plan keeps 1 of these 2 action(s)`, the edited one skipped
    // with its labels, the question counting 1 job, and `Apply cancelled`.
    let _filters = wall_clock(text_filters()).bind_to_scope();
    insta::assert_snapshot!(shown);
    assert!(!shown.contains(&format!("+ start on {edited}")), "{shown}");
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn nothing_to_do_asks_no_question_on_a_terminal() {
    // No pending task: the plan starts nothing, so apply goes on without asking.
    let lab = Lab::new(vec![pool("a55", 1, 0)]);
    let out = lab
        .command(&["apply", lab.config_arg()])
        .run_in_terminal("");
    out.expect_code(0);
    assert!(!out.stdout.contains("Apply this plan"), "{}", out.stdout);
    assert!(
        out.stdout.contains("Apply: nothing carried out"),
        "{}",
        out.stdout
    );
}

#[test]
fn an_edited_deploy_queue_or_job_file_never_reaches_testflinger() {
    let lab = RackLab::new();
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    let path = lab.config.with_file_name("plan.json");
    let (requeued, rewritten) = ("host-01", "host-02");
    edit_plan(&path, |plan| {
        let deploys = plan["racks"][0]["deploys"].as_array_mut().unwrap();
        assert_eq!(deploys[0]["agent"], requeued);
        assert_eq!(deploys[1]["agent"], rewritten);
        deploys[0]["queue"] = json!("shared-queue");
        let file = deploys[1]["job_file"].as_str().unwrap().to_string();
        deploys[1]["job_file"] = json!(format!("{file}\ntest_data:\n  test_cmds: rm -rf /\n"));
    });
    let out = lab.run(&["apply", lab.config_arg(), "--plan", "plan.json"]);
    out.expect_code(0);
    let submitted = lab.submitted_agents();
    assert!(!submitted.iter().any(|a| a == requeued), "{submitted:?}");
    assert!(!submitted.iter().any(|a| a == rewritten), "{submitted:?}");
    let queues: Vec<Value> = lab
        .fleet
        .testflinger
        .submissions()
        .iter()
        .map(|s| s["job_queue"].clone())
        .collect();
    assert!(!queues.contains(&json!("shared-queue")), "{queues:?}");
    assert!(!queues.is_empty(), "the other deploys still go ahead");
    // host-01 skipped: `queue shared-queue is not the one the agents give now`; host-02
    // skipped: `the job file renders differently now`.
    let _filters = text_filters().bind_to_scope();
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn a_plan_of_an_older_format_is_refused_by_its_format_before_any_request() {
    let lab = RackLab::new();
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    let path = lab.config.with_file_name("plan.json");
    // What a format-1 plan looked like: deploys had no queue.
    edit_plan(&path, |plan| {
        plan["format"] = json!(1);
        for deploy in plan["racks"][0]["deploys"].as_array_mut().unwrap() {
            deploy.as_object_mut().unwrap().remove("queue");
        }
    });
    let before = lab.fleet.testflinger.server().requests().len();
    let out = lab.run(&["apply", lab.config_arg(), "--plan", "plan.json"]);
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("plan format 1 is not supported (this devicepool reads format 2)"),
        "{}",
        out.stderr
    );
    assert_eq!(lab.fleet.testflinger.server().requests().len(), before);
}
