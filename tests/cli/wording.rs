//! The text output says what the plan and the report hold, in their own words: drifted saved
//! deploys name the machine state as the plan does, runner actions have their own heading,
//! and the runners a plan leaves alone are listed as the JSON lists them.

use crate::racks::RackLab;
use crate::runners::RunnerLab;
use crate::support::text_filters;

const IMAGE: &str = "gitlab/gitlab-runner:latest";

#[test]
fn a_drifted_saved_deploy_is_skipped_in_the_plans_words() {
    let lab = RackLab::new();
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    // The world moves: one agent leaves `waiting`, another gets a deploy of ours.
    lab.fleet
        .testflinger
        .set_agent_state("host-01", "provision");
    lab.submit("host-02");
    let out = lab.run(&["apply", lab.config_arg(), "--plan", "plan.json"]);
    // `skipped rack-a host-01: not_waiting now (…)`, `… host-02: in_flight now (…)`: the
    // states are spelled as the plan spells them, never `notwaiting` or `inflight`.
    let _filters = text_filters().bind_to_scope();
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn a_runner_only_apply_reports_its_runners_under_their_own_heading() {
    let lab = RunnerLab::new("");
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    let out = lab.run(&["apply"]);
    out.expect_code(0);
    // Starts with `Runners: 1 of 1 action(s) done`; no `launched 0 of 0`, no `Deploys:`.
    let _filters = text_filters().bind_to_scope();
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn the_text_plan_lists_the_runners_it_leaves_alone() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    let id = gl.add_runner("devicepool-autogit-100-1", &["autogit", "docker"], false);
    let runner_id = id.to_string();
    lab.fleet.docker.add_container(
        &format!("devicepool-autogit-r{id}"),
        IMAGE,
        &[
            ("devicepool.pool", "autogit"),
            ("devicepool.managed", "true"),
            ("devicepool.runner-id", &runner_id),
        ],
        "running",
    );
    // A job in the project (for a runner of another pool), so GitLab knows the project.
    gl.add_pending_job("group/app", &["gpu"]);
    gl.advance_clock(600);
    lab.heartbeat();
    gl.pause_by_hand(id, Some("debugging, do not touch"));
    let json = lab.run(&["plan", "--format", "json"]).json();
    assert_eq!(json["runner_pools"][0]["runners"][0]["state"], "left_alone");
    let out = lab.run(&["plan"]);
    // `  = left_alone runner <id> devicepool-autogit-100-1 (paused by someone else; left alone)`
    let _filters = text_filters().bind_to_scope();
    insta::assert_snapshot!(out.stdout);
}
