//! Runner pools rolling out a changed image, through the binary against the GitLab and Docker
//! fakes: the plan lists the outdated runners, each apply replaces at most `max_per_run` idle
//! ones (start new, then remove old) and never a busy one, until converged; a canary fraction
//! whose new containers exit pauses the rest; a canary pool goes first; a saved plan made
//! before the change replaces nothing; a replacement that fails to start keeps the old runner.

use std::collections::BTreeSet;

use crate::runners::{IMAGE, RunnerLab};

pub(crate) const NEW_IMAGE: &str = "gitlab/gitlab-runner:v18.6.0";

/// A lab whose pool keeps `idle` runners idle (so they stay until replaced), with `extra`.
pub(crate) fn lab_keeping(idle: u32, extra: &str) -> RunnerLab {
    let lab = RunnerLab::new(extra);
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let edited = yaml.replace("min_idle: 0", &format!("min_idle: {idle}"));
    std::fs::write(&lab.config, edited).unwrap();
    lab.fleet.docker.add_image(NEW_IMAGE);
    // The project exists (a job for another pool's tags, never ours).
    lab.fleet
        .gitlab
        .add_pending_job("group/app", &["elsewhere"]);
    lab
}

/// The lab's runners all start on the old image and contact GitLab.
pub(crate) fn start_runners(lab: &RunnerLab, count: usize) {
    lab.run(&["apply"]).expect_code(0);
    assert_eq!(lab.runner_ids().len(), count);
    lab.heartbeat();
    lab.fleet.gitlab.advance_clock(60);
}

/// Every pool's image becomes the new one.
pub(crate) fn change_image(lab: &RunnerLab) {
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    std::fs::write(&lab.config, yaml.replace(IMAGE, NEW_IMAGE)).unwrap();
}

/// The roll-out of pool `name` in a fresh plan (JSON).
pub(crate) fn rollout_of(lab: &RunnerLab, name: &str) -> serde_json::Value {
    let plan = lab.run(&["plan", "--format", "json"]);
    plan.expect_code(0);
    let pools = plan.json()["runner_pools"].as_array().unwrap().clone();
    let pool = pools.iter().find(|p| p["pool"] == name).unwrap();
    pool["rollout"].clone()
}

pub(crate) fn outdated(rollout: &serde_json::Value) -> usize {
    rollout["outdated"].as_array().map_or(0, Vec::len)
}

/// Ids of the containers running the new image.
pub(crate) fn new_containers(lab: &RunnerLab) -> Vec<String> {
    let containers = lab.fleet.docker.containers().into_iter();
    containers
        .filter(|c| c.image == NEW_IMAGE)
        .map(|c| c.id)
        .collect()
}

#[test]
fn a_changed_image_rolls_out_two_idle_runners_a_run_never_a_busy_one_until_converged() {
    let lab = lab_keeping(10, "    rollout: {max_per_run: 2}\n");
    start_runners(&lab, 10);
    let busy = *lab.runner_ids().iter().next().unwrap();
    let job = lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    lab.fleet.gitlab.pick_up(job, busy);
    assert_eq!(
        outdated(&rollout_of(&lab, "autogit")),
        0,
        "nothing changed yet"
    );

    change_image(&lab);
    let plan = lab.run(&["plan"]);
    plan.expect_code(0);
    assert!(
        plan.stdout.contains("10 outdated, replacing 2 (rolling)"),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("replaces outdated runner"),
        "{}",
        plan.stdout
    );
    let mut runs = 0;
    while outdated(&rollout_of(&lab, "autogit")) > 0 {
        assert!(runs < 10, "no convergence after {runs} runs");
        let before = lab.deleted();
        let out = lab.run(&["apply", "--verify"]);
        out.expect_code(0);
        runs += 1;
        let removed: BTreeSet<u64> = lab.deleted().difference(&before).copied().collect();
        assert!(removed.len() <= 2, "run {runs} removed {removed:?}");
        if runs <= 2 {
            assert!(
                !removed.contains(&busy),
                "run {runs} removed the busy runner"
            );
        }
        assert_eq!(lab.runner_ids().len(), 10, "run {runs}: {}", out.stdout);
        if runs == 2 {
            // The job ends: its runner is idle, and outdated, from now on.
            lab.fleet.gitlab.finish_job(job, "success");
        }
        lab.heartbeat();
        lab.fleet.gitlab.advance_clock(60);
    }
    println!("runner pool roll-out: 10 runners, max_per_run 2, converged in {runs} runs");
    assert_eq!(runs, 5);
    assert!(lab.deleted().contains(&busy), "replaced once idle");
    assert_eq!(new_containers(&lab).len(), 10);
    let labels = lab.fleet.docker.containers();
    let specs: BTreeSet<&str> = labels
        .iter()
        .filter_map(|c| c.labels.get("devicepool.spec").map(String::as_str))
        .collect();
    assert_eq!(specs.len(), 1, "one generation, one digest: {specs:?}");
}

/// Ten idle runners on the old image, a canary fraction of 0.2, the image just changed.
pub(crate) fn canary_lab() -> RunnerLab {
    let extra = "    rollout: {max_per_run: 5, canary: {fraction: 0.2}}\n";
    let lab = lab_keeping(10, extra);
    start_runners(&lab, 10);
    change_image(&lab);
    lab
}

#[test]
fn a_canary_fraction_whose_new_containers_exit_pauses_the_rest() {
    let lab = canary_lab();
    let first = rollout_of(&lab, "autogit");
    assert_eq!(
        (first["state"].as_str(), first["replace"].as_u64()),
        (Some("canary"), Some(2))
    );
    let before = lab.deleted();
    lab.run(&["apply"]).expect_code(0);
    assert_eq!(
        lab.deleted().len() - before.len(),
        2,
        "the canary share only"
    );
    // The new image's entrypoint exits: its containers stop and never contact GitLab.
    for id in new_containers(&lab) {
        lab.fleet.docker.kill(&id);
    }
    lab.heartbeat();
    lab.fleet.gitlab.advance_clock(60);

    let paused = rollout_of(&lab, "autogit");
    assert_eq!(paused["state"], "paused", "{paused}");
    assert_eq!(outdated(&paused), 8);
    let explain = lab.run(&["explain", "autogit"]);
    assert!(
        explain
            .stdout
            .contains("pause_on_failures: the new spec 2 of 2 failed"),
        "{}",
        explain.stdout
    );
    let held = lab.deleted();
    lab.run(&["apply"]).expect_code(0);
    let old_left = lab
        .fleet
        .docker
        .containers()
        .into_iter()
        .filter(|c| c.image == IMAGE);
    assert_eq!(old_left.count(), 8, "no old runner replaced while paused");
    assert!(
        lab.deleted()
            .difference(&held)
            .all(|id| !lab.runner_ids().contains(id)),
        "only failed new runners may go"
    );
}

#[test]
fn a_canary_pool_goes_first_and_the_pool_follows_once_it_is_proven() {
    let extra = format!(
        "    rollout: {{max_per_run: 5, canary: {{pool: early}}}}\n  early:\n    tags: [early]\n    projects: [group/app]\n    image: {IMAGE}\n    min_idle: 1\n    max_runners: 2\n"
    );
    let lab = lab_keeping(3, &extra);
    start_runners(&lab, 4);
    change_image(&lab);
    let waiting = rollout_of(&lab, "autogit");
    assert_eq!(waiting["state"], "waiting", "{waiting}");
    assert!(
        waiting["reason"]
            .as_str()
            .unwrap()
            .contains("canary pool early still has 1 outdated"),
        "{waiting}"
    );
    assert_eq!(rollout_of(&lab, "early")["replace"], 1);

    lab.run(&["apply"]).expect_code(0);
    assert_eq!(
        new_containers(&lab).len(),
        1,
        "only the canary pool's runner"
    );
    let not_proven = rollout_of(&lab, "autogit");
    assert!(
        not_proven["reason"]
            .as_str()
            .unwrap()
            .contains("has not proven its new spec yet"),
        "{not_proven}"
    );
    lab.heartbeat();
    lab.fleet.gitlab.advance_clock(60);
    let rolling = rollout_of(&lab, "autogit");
    assert_eq!(
        (rolling["state"].as_str(), rolling["replace"].as_u64()),
        (Some("rolling"), Some(3))
    );
    lab.run(&["apply"]).expect_code(0);
    assert_eq!(new_containers(&lab).len(), 4);
}

#[test]
fn a_plan_saved_before_the_template_changed_replaces_nothing() {
    let lab = lab_keeping(
        4,
        "    template: runner.json.j2\n    rollout: {max_per_run: 2}\n",
    );
    let template = include_str!("../../templates/gitlab-runner.json.j2");
    lab.write_template("runner.json.j2", template);
    start_runners(&lab, 4);
    // A job for the pool: the saved plan starts one runner on the old template.
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    lab.run(&["plan", "--out", "saved.json"]).expect_code(0);
    // The template changes (the desired state does not, so the saved plan still applies).
    lab.write_template(
        "runner.json.j2",
        &template.replace("alpine:latest", "alpine:3.20"),
    );
    let fresh = rollout_of(&lab, "autogit");
    assert_eq!(
        (outdated(&fresh), fresh["replace"].as_u64()),
        (4, Some(2)),
        "{fresh}"
    );

    let before = (lab.deleted(), lab.runner_ids());
    let out = lab.run(&["apply", "--plan", "saved.json"]);
    out.expect_code(0);
    assert_eq!((lab.deleted(), lab.runner_ids()), before, "{}", out.stdout);
    assert!(
        out.stdout
            .contains("the container spec renders differently now"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_replacement_that_fails_to_start_keeps_the_outdated_runner_and_says_so() {
    let lab = lab_keeping(3, "    rollout: {max_per_run: 1}\n");
    start_runners(&lab, 3);
    // An image the daemon does not have: creating its container fails (404, as dockerd).
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    std::fs::write(&lab.config, yaml.replace(IMAGE, "example/missing:1")).unwrap();
    let before = lab.runner_ids();
    let out = lab.run(&["apply"]);
    assert_eq!(lab.runner_ids(), before, "{}", out.stdout);
    // Only the replacement's own runner, registered then deleted again, is gone.
    assert!(lab.deleted().is_disjoint(&before), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("did not start, so the outdated runner stays"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
}
