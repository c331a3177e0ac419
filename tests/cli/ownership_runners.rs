//! Ownership of runners and containers (issue 18): a runner or container that only looks
//! like ours — an old-style name on another host, half our labels, a MAC copied from
//! another container — is never paused, deleted, removed or counted, and two fleets sharing
//! one GitLab with the same pool names leave each other's runners alone.

use std::collections::BTreeSet;

use crate::runners::RunnerLab;
use crate::support::{Invocation, Outcome, devicepool};

const IMAGE: &str = "gitlab/gitlab-runner:latest";
const KEY: &str = "lab-ownership-key-0123456789";

/// `args` then `config` against the lab's fakes, with the ownership key in `OWN_KEY`.
fn command(lab: &RunnerLab, config: &std::path::Path, args: &[&str]) -> Invocation {
    devicepool(args)
        .args(&[config.to_str().unwrap()])
        .current_dir(config.parent().unwrap())
        .env_remove("DOCKER_HOST")
        .env("GITLAB_TOKEN", lab.fleet.gitlab.admin_token())
        .env("OWN_KEY", KEY)
        .env("DEVICEPOOL_SIM_CLOCK", lab.fleet.gitlab.now().to_string())
}

/// The lab's desired state with `settings` lines added, written as `name`.
fn config_with(lab: &RunnerLab, name: &str, settings: &str) -> std::path::PathBuf {
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let path = lab.config.with_file_name(name);
    std::fs::write(
        &path,
        yaml.replacen("settings:\n", &format!("settings:\n{settings}"), 1),
    )
    .unwrap();
    path
}

fn apply(lab: &RunnerLab, config: &std::path::Path) -> Outcome {
    let out = command(lab, config, &["apply", "--format", "json"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    out
}

fn plan(lab: &RunnerLab, config: &std::path::Path) -> serde_json::Value {
    let out = command(lab, config, &["plan", "--format", "json"]).run();
    assert_eq!(out.code, 0, "{out:?}");
    out.json()
}

/// Every `(method, runner id)` GitLab received on `/runners/<id>` that changes a runner.
fn touched(lab: &RunnerLab) -> BTreeSet<(String, u64)> {
    let requests = lab.fleet.gitlab.server().requests();
    let changing = requests
        .iter()
        .filter(|r| r.method == "PUT" || r.method == "DELETE");
    changing
        .filter_map(|r| {
            let id = r.path.strip_prefix("/api/v4/runners/")?.parse().ok()?;
            Some((r.method.clone(), id))
        })
        .collect()
}

fn look_alike_names(plan: &serde_json::Value) -> Vec<String> {
    let list = plan["look_alikes"].as_array().cloned().unwrap_or_default();
    list.iter()
        .map(|l| {
            format!(
                "{} {}",
                l["object"].as_str().unwrap(),
                l["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn a_runner_named_like_ours_on_another_host_is_not_paused_deleted_or_counted() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    // Another team's runner, online, named the way devicepool named runners before fleets;
    // no container of ours on this host serves it.
    let foreign = gl.add_runner("devicepool-autogit-100-1", &["autogit", "docker"], false);
    gl.contact(foreign);
    gl.advance_clock(3600);
    gl.contact(foreign);
    gl.add_pending_job("group/app", &["autogit"]);
    let config = lab.config.clone();
    let planned = plan(&lab, &config);
    let pool = &planned["runner_pools"][0];
    assert_eq!(pool["runners"].as_array().unwrap().len(), 0, "{pool}");
    assert_eq!(
        pool["starts"].as_array().unwrap().len(),
        1,
        "not counted as idle capacity"
    );
    assert_eq!(
        look_alike_names(&planned),
        [format!("runner {foreign} \"devicepool-autogit-100-1\"")]
    );
    apply(&lab, &config);
    // Past every grace and cooldown, with nothing pending: still never touched.
    gl.advance_clock(7200);
    apply(&lab, &config);
    assert!(
        !touched(&lab).iter().any(|(_, id)| *id == foreign),
        "the look-alike runner was paused or deleted: {:?}",
        touched(&lab)
    );
    assert!(lab.runner_ids().contains(&foreign));
}

#[test]
fn a_half_labelled_container_is_not_removed_as_an_orphan() {
    let lab = RunnerLab::new("");
    lab.fleet.gitlab.add_pending_job("group/app", &["gpu"]);
    let half = lab.fleet.docker.add_container(
        "someone-elses-worker",
        IMAGE,
        &[
            ("devicepool.pool", "autogit"),
            ("devicepool.managed", "true"),
        ],
        "exited",
    );
    let config = lab.config.clone();
    let planned = plan(&lab, &config);
    assert_eq!(
        planned["runner_pools"][0]["removals"],
        serde_json::json!([]),
        "{planned}"
    );
    assert_eq!(
        look_alike_names(&planned),
        ["container someone-elses-worker"]
    );
    assert_eq!(
        planned["look_alikes"][0]["reason"],
        "it carries no devicepool.runner-id label"
    );
    apply(&lab, &config);
    assert!(lab.fleet.docker.containers().iter().any(|c| c.id == half));
}

#[test]
fn a_container_whose_mac_was_copied_does_not_validate_for_another_runner() {
    let lab = RunnerLab::new("");
    let config = config_with(&lab, "keyed.yaml", "  ownership_key_env: OWN_KEY\n");
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    apply(&lab, &config);
    let ours = lab
        .fleet
        .docker
        .containers()
        .pop()
        .expect("a container was started");
    let mac = ours
        .labels
        .get("devicepool.mac")
        .expect("a MAC label")
        .clone();
    assert_eq!(mac.len(), 16);
    assert_eq!(ours.labels["devicepool.fleet"], "default");
    let runner = lab.fleet.gitlab.runners().pop().unwrap();
    assert!(
        runner.description.contains(" fleet:default mac:"),
        "{}",
        runner.description
    );
    // The same labels, MAC included, on a container claiming a runner GitLab does not know.
    let mut labels: Vec<(&str, &str)> = ours
        .labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    labels.retain(|(k, _)| *k != "devicepool.runner-id");
    labels.push(("devicepool.runner-id", "99999"));
    let copied = lab
        .fleet
        .docker
        .add_container("copycat", IMAGE, &labels, "exited");
    let planned = plan(&lab, &config);
    let pool = &planned["runner_pools"][0];
    assert_eq!(pool["removals"], serde_json::json!([]), "{pool}");
    assert_eq!(
        pool["runners"].as_array().unwrap().len(),
        1,
        "our own runner still counts"
    );
    assert_eq!(look_alike_names(&planned), ["container copycat"]);
    apply(&lab, &config);
    let left: Vec<String> = lab
        .fleet
        .docker
        .containers()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert!(
        left.contains(&copied) && left.contains(&ours.id),
        "{left:?}"
    );
}

#[test]
fn two_fleets_sharing_a_gitlab_and_pool_names_leave_each_others_runners_alone() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    let a = config_with(&lab, "lab-a.yaml", "  fleet: lab-a\n");
    let b = config_with(&lab, "lab-b.yaml", "  fleet: lab-b\n");
    for (config, state) in [(&a, "state-a"), (&b, "state-b")] {
        let yaml = std::fs::read_to_string(config).unwrap();
        std::fs::write(
            config,
            yaml.replace("state_dir: state", &format!("state_dir: {state}")),
        )
        .unwrap();
    }
    let jobs = [
        gl.add_pending_job("group/app", &["autogit"]),
        gl.add_pending_job("group/app", &["autogit"]),
    ];
    apply(&lab, &a);
    let of_a = lab.runner_ids();
    assert_eq!(of_a.len(), 2);
    // Fleet b sees none of a's runners: it starts its own for the same pending jobs.
    let b_plan = plan(&lab, &b);
    assert_eq!(
        b_plan["runner_pools"][0]["runners"],
        serde_json::json!([]),
        "{b_plan}"
    );
    apply(&lab, &b);
    let of_b: BTreeSet<u64> = lab.runner_ids().difference(&of_a).copied().collect();
    assert_eq!(of_b.len(), 2);
    for runner in gl.runners() {
        let fleet = if of_a.contains(&runner.id) {
            "lab-a"
        } else {
            "lab-b"
        };
        assert!(
            runner.description.ends_with(&format!(" fleet:{fleet}")),
            "{}",
            runner.description
        );
    }
    // Each fleet's first runner takes a job, which finishes; then a long idle with nothing
    // pending: each fleet removes exactly its own runners.
    lab.heartbeat();
    for (job, runner) in jobs.iter().zip([of_a.first(), of_b.first()]) {
        gl.pick_up(*job, *runner.unwrap());
        gl.finish_job(*job, "success");
    }
    gl.advance_clock(3600);
    lab.heartbeat();
    apply(&lab, &a);
    let deleted_by_a = lab.deleted();
    assert_eq!(deleted_by_a, of_a, "fleet a removed {deleted_by_a:?}");
    apply(&lab, &b);
    assert_eq!(lab.deleted(), &of_a | &of_b);
    let paused: BTreeSet<u64> = touched(&lab)
        .into_iter()
        .filter(|(method, _)| method == "PUT")
        .map(|(_, id)| id)
        .collect();
    assert_eq!(
        paused,
        &of_a | &of_b,
        "each pauses only what it then deletes"
    );
}

#[test]
fn with_a_key_a_runner_whose_whole_description_was_copied_is_never_paused_deleted_or_counted() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    let config = config_with(&lab, "keyed.yaml", "  ownership_key_env: OWN_KEY\n");
    let job = gl.add_pending_job("group/app", &["autogit"]);
    apply(&lab, &config);
    let ours = gl.runners().pop().expect("a runner was started");
    // Another team's online runner with our runner's description, fleet and MAC included;
    // no container of ours on this host serves it.
    let copy = gl.add_runner(&ours.description, &["autogit", "docker"], false);
    gl.contact(copy);
    let planned = plan(&lab, &config);
    let decision = (planned["runner_pools"][0]["runners"]
        .as_array()
        .unwrap()
        .iter())
    .find(|r| r["id"] == copy)
    .expect("judged by its valid MAC")
    .clone();
    assert_eq!(decision["state"], "left_alone", "{decision}");
    // Our runner takes the job, which finishes; then a long idle with nothing pending.
    lab.heartbeat();
    gl.pick_up(job, ours.id);
    gl.finish_job(job, "success");
    gl.advance_clock(7200);
    lab.heartbeat();
    gl.contact(copy);
    apply(&lab, &config);
    assert!(lab.deleted().contains(&ours.id), "our idle runner stays");
    assert!(
        !touched(&lab).iter().any(|(_, id)| *id == copy),
        "the copy was paused or deleted: {:?}",
        touched(&lab)
    );
    assert!(lab.runner_ids().contains(&copy));
}

#[test]
fn an_upgrade_keeps_serving_a_runner_and_a_deploy_made_before_fleets() {
    // A runner and its container as the release before fleets made them, one job pending.
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    let old = gl.add_runner("devicepool-autogit-100-1", &["autogit", "docker"], false);
    let id = old.to_string();
    let labels = [
        ("devicepool.managed", "true"),
        ("devicepool.pool", "autogit"),
        ("devicepool.runner-id", id.as_str()),
    ];
    let name = format!("devicepool-autogit-r{old}");
    let container = (lab.fleet.docker).add_container(&name, IMAGE, &labels, "running");
    lab.heartbeat();
    gl.add_pending_job("group/app", &["autogit"]);
    let config = lab.config.clone();
    apply(&lab, &config);
    assert_eq!(
        lab.runner_ids(),
        BTreeSet::from([old]),
        "a runner was started"
    );
    assert!(touched(&lab).is_empty(), "{:?}", touched(&lab));
    let containers: Vec<String> = (lab.fleet.docker.containers().into_iter())
        .map(|c| c.id)
        .collect();
    assert_eq!(
        containers,
        [container],
        "a container was started or removed"
    );

    // A deploy tagged `devicepool,rack:rack-a,agent:host-07` still queued: not submitted again.
    let racks = crate::racks::RackLab::new();
    let on_host_07 = |lab: &crate::racks::RackLab| {
        (lab.fleet.testflinger.jobs().iter())
            .filter(|j| j.definition["job_queue"] == "host-07")
            .count()
    };
    assert_eq!(on_host_07(&racks), 1);
    racks.run(&["apply", racks.config_arg()]).expect_code(0);
    assert_eq!(on_host_07(&racks), 1, "a second deploy was submitted");
}
