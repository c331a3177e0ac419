//! `devicepool render`: job files and container specs for every kind of pool, without
//! credentials or requests, and refusals of names the desired state does not list.

use crate::runners::RunnerLab;
use crate::support::{Outcome, devicepool};

/// Renders a shipped example with no credentials in the environment.
fn render_shipped(file: &str, args: &[&str]) -> Outcome {
    let config = format!("{}/plans/{file}", env!("CARGO_MANIFEST_DIR"));
    devicepool(&["render", &config])
        .args(args)
        .env_remove("GITLAB_TOKEN")
        .env_remove("DOCKER_HOST")
        .env_remove("DEVICEPOOL_CONFIG")
        .run()
}

#[test]
fn runner_pools_render_their_container_spec_with_the_token_redacted() {
    for args in [&[][..], &["--pool", "autogit"][..]] {
        let out = render_shipped("gitlab-runners-example.yaml", args);
        out.expect_code(0);
        assert!(
            out.stdout
                .starts_with("# ---- runner pool autogit, runner devicepool-autogit-0-1 ----\n"),
            "{}",
            out.stdout
        );
        let spec: serde_json::Value = serde_json::from_str(
            out.stdout
                .split_once('\n')
                .map(|(_, spec)| spec)
                .unwrap_or_default(),
        )
        .unwrap_or_else(|e| panic!("not a JSON container spec ({e}):\n{}", out.stdout));
        assert_eq!(spec["Env"]["RUNNER_TOKEN"], "<redacted>");
        assert_eq!(spec["Env"]["CI_SERVER_URL"], "https://gitlab.example");
        assert_eq!(spec["Labels"]["devicepool.pool"], "autogit");
        assert_eq!(spec["Labels"]["devicepool.runner-id"], "<new>");
        assert_eq!(spec["HostConfig"]["NetworkMode"], "autogit-runners");
    }
}

#[test]
fn rendering_a_runner_pool_sends_no_request() {
    let lab = RunnerLab::new("");
    let out = lab.run(&["render", "--pool", "autogit"]);
    out.expect_code(0);
    assert!(out.stdout.contains("\"RUNNER_TOKEN\": \"<redacted>\""));
    assert!(!out.stdout.contains(&lab.fleet.gitlab.admin_token()));
    assert!(lab.fleet.gitlab.server().requests().is_empty());
    assert!(lab.fleet.docker.server().requests().is_empty());
}

#[test]
fn an_unknown_pool_name_is_refused_naming_every_kind() {
    let out = render_shipped("gitlab-runners-example.yaml", &["--pool", "nope"]);
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("no device pool, rack or runner pool named \"nope\""),
        "{}",
        out.stderr
    );
}

#[test]
fn a_udid_the_pool_does_not_list_is_refused() {
    let out = render_shipped(
        "lambdatest-example.yaml",
        &["--pool", "a55-perf", "--udid", "NOPE"],
    );
    out.expect_code(1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr.contains(
            "pool a55-perf has no device \"NOPE\" (it lists 6 device(s): R5CX1A2B3C, R5CX1A2B3D, R5CX1A2B4F, …)"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn a_udid_of_another_pool_is_refused_naming_its_pool() {
    let out = render_shipped(
        "lambdatest-example.yaml",
        &["--pool", "p9-perf", "--udid", "R5CX1A2B3D"],
    );
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("it belongs to pool a55-perf: pass --pool a55-perf"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_udid_the_pool_lists_is_rendered() {
    let out = render_shipped(
        "lambdatest-example.yaml",
        &["--pool", "a55-perf", "--udid", "R5CX1A2B3D"],
    );
    out.expect_code(0);
    assert!(
        out.stdout
            .starts_with("# ---- pool a55-perf, device R5CX1A2B3D ----\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_udid_for_a_pool_without_devices_is_refused() {
    let out = render_shipped(
        "gitlab-runners-example.yaml",
        &["--pool", "autogit", "--udid", "R5CX1A2B3D"],
    );
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("--udid picks a device of a device pool; \"autogit\" is not one"),
        "{}",
        out.stderr
    );
}
