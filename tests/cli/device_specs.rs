//! Device pools and roll-outs (issue 22): every job devicepool starts carries `spec:<digest>`
//! of its job file; a changed job file makes the devices whose job in flight runs the old spec
//! outdated in the plan, and a canary pool's generation shows its results beside the old one's.

use serde_json::Value;

use crate::support::{Lab, grouped_pool, pool, pool_of, run_with_tokens, udid};

/// Gives pool `name` of the lab's config `vars` (the built-in template reads
/// `vars.queue_timeout`): a changed value is a new spec.
fn set_queue_timeout(lab: &Lab, name: &str, seconds: u32) {
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let client = format!("    client_id: project/autophone/{name}\n");
    let vars = format!("{client}    vars: {{queue_timeout: {seconds}}}\n");
    std::fs::write(&lab.config, yaml.replacen(&client, &vars, 1)).unwrap();
}

fn plan_json(lab: &Lab) -> Value {
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    out.json()
}

/// The device and spec label (its last label) of every launched job, by device.
fn launched_specs(lab: &Lab) -> Vec<(String, String)> {
    let mut specs: Vec<(String, String)> = (lab.fleet.lambdatest.launches().iter())
        .map(|job| {
            let labels = job.labels.clone().unwrap_or_default();
            let spec = labels.last().cloned().unwrap_or_default();
            (job.fixed_ip.clone().unwrap_or_default(), spec)
        })
        .collect();
    specs.sort();
    specs
}

fn str_of(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

#[test]
fn a_changed_job_file_shows_the_devices_whose_job_runs_the_old_spec_as_outdated() {
    let lab = Lab::new(vec![pool("a55", 3, 2)]);
    let first = plan_json(&lab);
    let old = str_of(&pool_of(&first, "a55")["rollout"]["spec"]).to_string();
    assert_eq!(
        old.len(),
        12,
        "the plan names the spec it renders: {first:#}"
    );
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    let old_label = format!("spec:{old}");
    assert_eq!(
        launched_specs(&lab),
        [
            (udid("a55", 1), old_label.clone()),
            (udid("a55", 2), old_label.clone())
        ],
        "each job carries the spec the plan showed, after the fleet marker"
    );

    // The job file changes while both jobs are in flight; one more task is pending.
    set_queue_timeout(&lab, "a55", 900);
    lab.fleet
        .taskcluster
        .set_counts("proj-autophone/gecko-t-a55", 3, 0);
    let plan = plan_json(&lab);
    let a55 = pool_of(&plan, "a55");
    let rollout = &a55["rollout"];
    let new = str_of(&rollout["spec"]).to_string();
    assert_eq!(new.len(), 12);
    assert_ne!(new, old, "a changed vars value is a new spec");
    assert_eq!(
        rollout["outdated"],
        serde_json::json!([udid("a55", 1), udid("a55", 2)])
    );
    assert_eq!(rollout["replace"], 0, "device pools replace nothing");
    assert_eq!(rollout["state"], "waiting");
    assert_eq!(
        str_of(&rollout["reason"]),
        format!("spec {old}: 2 job(s), 0 failed, 2 in flight; spec {new} (current): no job yet")
    );
    let devices = a55["devices"].as_array().unwrap();
    let spec_of = |i: usize| devices[i]["spec"].clone();
    assert_eq!(spec_of(0), old.as_str(), "{devices:#?}");
    assert_eq!(spec_of(1), old.as_str());
    assert_eq!(spec_of(2), Value::Null, "no job of ours on it yet");
    let start = &a55["starts"][0];
    assert_eq!(start["udid"], udid("a55", 3));
    assert_eq!(
        start["labels"].as_array().unwrap().last().unwrap(),
        &format!("spec:{new}")
    );

    // The text and explain say the same.
    let text = lab.run(&["plan", lab.config_arg()]);
    text.expect_code(0);
    assert!(
        text.stdout.contains(&format!(
            "  Roll-out: spec {new}: 2 outdated, replacing 0 (waiting): spec {old}"
        )),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("    outdated: A55-01, A55-02"),
        "{}",
        text.stdout
    );
    let explain = lab.run(&["explain", "a55", lab.config_arg()]);
    explain.expect_code(0);
    assert!(
        explain.stdout.contains("A55-01: in_flight (job ")
            && explain
                .stdout
                .contains(&format!("; last job's spec {old})")),
        "{}",
        explain.stdout
    );
    assert!(
        explain.stdout.contains(&format!(
            "  roll-out: spec {new}: 2 outdated, replacing 0 (waiting)"
        )),
        "explain gives the roll-out: {}",
        explain.stdout
    );

    // The new job carries the new spec; the old ones keep theirs until they end.
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    let specs = launched_specs(&lab);
    assert_eq!(specs[2], (udid("a55", 3), format!("spec:{new}")));
    let after = plan_json(&lab);
    let rollout = &pool_of(&after, "a55")["rollout"];
    assert_eq!(
        str_of(&rollout["reason"]),
        format!(
            "spec {old}: 2 job(s), 0 failed, 2 in flight; \
             spec {new} (current): 1 job(s), 0 failed, 1 in flight"
        )
    );
}

#[test]
fn a_canary_pool_on_the_new_spec_shows_its_results_beside_the_old_pools() {
    let lab = Lab::new(vec![pool("a55", 2, 2), pool("canary", 1, 1)]);
    set_queue_timeout(&lab, "canary", 900);
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    let jobs = lab.fleet.lambdatest.launches();
    assert_eq!(jobs.len(), 3);
    // The canary's job fails; the old pool's jobs complete.
    for job in &jobs {
        let canary = job.fixed_ip.as_deref() == Some(udid("canary", 1).as_str());
        let status = if canary { "failed" } else { "completed" };
        lab.fleet.lambdatest.set_job_status(&job.id, status);
    }
    lab.fleet
        .taskcluster
        .set_counts("proj-autophone/gecko-t-a55", 0, 0);
    lab.fleet
        .taskcluster
        .set_counts("proj-autophone/gecko-t-canary", 0, 0);
    let plan = plan_json(&lab);
    let spec = |name: &str| str_of(&pool_of(&plan, name)["rollout"]["spec"]).to_string();
    let (old, new) = (spec("a55"), spec("canary"));
    assert_ne!(old, new, "the canary renders the new spec");
    let text = lab.run(&["plan", lab.config_arg()]);
    text.expect_code(0);
    let out = &text.stdout;
    assert!(
        out.contains(&format!(
            "  job specs: spec {old} (current): 2 job(s), 0 failed\n"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "  job specs: spec {new} (current): 1 job(s), 1 failed\n"
        )),
        "{out}"
    );
    // The canary's device shows the spec its last job ran.
    let canary = pool_of(&plan, "canary");
    assert_eq!(canary["devices"][0]["spec"], new.as_str());
    assert_eq!(canary["rollout"]["state"], "converged");
}

/// Two pools sharing group `galaxy` (G-01..G-04), two tasks pending each; `x_vars` is pool
/// x's `vars`, if any.
fn write_group_config(lab: &Lab, x_vars: Option<&str>) {
    let mut yaml = lab.config_yaml().replace(
        "device_pools:\n",
        "device_groups:\n  galaxy:\n    select: {name: 'Galaxy A55*'}\ndevice_pools:\n",
    );
    let x_settings: Vec<(&str, String)> = x_vars
        .map(|v| ("vars", v.to_string()))
        .into_iter()
        .collect();
    yaml.push_str(&grouped_pool(lab, ("x", "galaxy", 2), &x_settings));
    yaml.push_str(&grouped_pool(lab, ("y", "galaxy", 2), &[]));
    std::fs::write(&lab.config, yaml).unwrap();
}

#[test]
fn a_grouped_pool_reports_only_its_own_jobs_generations() {
    let lab = Lab::new(Vec::new());
    for i in 1..=4 {
        lab.fleet
            .lambdatest
            .add_device(&format!("G-{i:02}"), "Galaxy A55 5G", "active");
    }
    write_group_config(&lab, None);
    run_with_tokens(&lab, ["x", "y"], &["apply", lab.config_arg()]).expect_code(0);
    assert_eq!(lab.fleet.lambdatest.launches().len(), 4);
    write_group_config(&lab, Some("{queue_timeout: 900}"));
    let out = run_with_tokens(
        &lab,
        ["x", "y"],
        &["plan", lab.config_arg(), "--format", "json"],
    );
    out.expect_code(0);
    let plan = out.json();
    let (x, y) = (pool_of(&plan, "x"), pool_of(&plan, "y"));
    let held_by = |pool: &str| -> Vec<String> {
        let mut devices: Vec<String> = (lab.fleet.lambdatest.launches().iter())
            .filter(|j| j.labels.as_ref().is_some_and(|l| l[1] == pool))
            .filter_map(|j| j.fixed_ip.clone())
            .collect();
        devices.sort();
        devices
    };
    assert_eq!(x["rollout"]["outdated"], serde_json::json!(held_by("x")));
    assert_eq!(x["rollout"]["state"], "waiting");
    assert_eq!(y["rollout"]["outdated"], serde_json::json!([]), "{y:#}");
    assert_eq!(y["rollout"]["state"], "converged");
    let jobs = |p: &Value| p["generations"].as_array().map_or(0, |g| g.len());
    assert_eq!(
        (jobs(x), jobs(y)),
        (1, 1),
        "one generation each: its own two jobs"
    );
    assert_eq!(y["generations"][0]["jobs"], 2);
    assert_eq!(
        x["generations"][0]["in_flight"],
        serde_json::json!(held_by("x"))
    );
}

/// The spec digest a keyed pool's plan shows with `key` in `OWN_KEY`.
fn keyed_spec(lab: &Lab, key: &str) -> String {
    let out = (lab.command(&["plan", lab.config_arg(), "--format", "json"]))
        .env("OWN_KEY", key)
        .run();
    out.expect_code(0);
    str_of(&pool_of(&out.json(), "a55")["rollout"]["spec"]).to_string()
}

#[test]
fn a_new_ownership_key_is_no_new_spec() {
    // The job file carries the labels, the ownership MAC among them: derived from the key and
    // the device, it is a placeholder in what the digest is taken of, like the device.
    let lab = crate::ownership::keyed_lab(pool("a55", 3, 2));
    let first = keyed_spec(&lab, "an-ownership-key-of-32-characters!!");
    assert_eq!(first.len(), 12, "{first}");
    let second = keyed_spec(&lab, "another-key-entirely-32-characters!!");
    assert_eq!(first, second);
    // The key still marks the jobs themselves: the started jobs carry a MAC.
    lab.command(&["apply", lab.config_arg()])
        .env("OWN_KEY", "another-key-entirely-32-characters!!")
        .run()
        .expect_code(0);
    let launched = lab.fleet.lambdatest.launches();
    let labels = launched[0].labels.clone().unwrap_or_default();
    assert!(labels.iter().any(|l| l.starts_with("mac:")), "{labels:?}");
}
