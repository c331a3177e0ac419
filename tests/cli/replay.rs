//! Record and replay: `plan --record` writes what a run read (no secrets), `plan
//! --from-snapshot` plans from it offline with no credentials and no request, the same bytes
//! every time, and `plan --compare` diffs the decisions of two desired states on it.

use devicepool_sim::Fault;

use crate::support::{Lab, devicepool, pool, token_of};

const NOW: &str = "2026-03-01T12:00:00Z";

/// A lab with two pools whose fleet has been recorded to `snap.json`.
fn recorded_lab() -> Lab {
    let lab = Lab::new(vec![pool("a55", 4, 3), pool("p7", 2, 5)]);
    lab.command(&["plan", lab.config_arg(), "--record", "snap.json"])
        .env("DEVICEPOOL_SIM_CLOCK", NOW)
        .run()
        .expect_code(0);
    lab
}

/// The lab's desired state, edited, under another name. Its sources still name the fakes, so
/// any request a replay sent would show in their logs (`lab.requests()`).
fn write_config(lab: &Lab, name: &str, edit: impl Fn(String) -> String) {
    std::fs::write(lab.path(name), edit(lab.config_yaml())).unwrap();
}

/// `plan <config> --from-snapshot snap.json <extra>` with no credentials in the environment.
fn replay(lab: &Lab, config: &str, extra: &[&str]) -> crate::support::Outcome {
    devicepool(&["plan", config, "--from-snapshot", "snap.json"])
        .args(extra)
        .current_dir(lab.dir.path())
        .env_remove("LT_USERNAME")
        .env_remove("LT_ACCESS_KEY")
        .run()
}

#[test]
fn a_replay_needs_no_credentials_sends_nothing_and_repeats_byte_for_byte() {
    let lab = recorded_lab();
    let recorded = std::fs::read_to_string(lab.path("snap.json")).unwrap();
    assert!(recorded.contains("\"format\": 1"), "{recorded}");
    let mode = std::fs::metadata(lab.path("snap.json"))
        .unwrap()
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    for secret in [token_of("a55"), token_of("p7")] {
        assert!(
            !recorded.contains(&secret),
            "a token leaked into the snapshot"
        );
    }
    write_config(&lab, "offline.yaml", |yaml| yaml);
    let before = lab.requests().len();
    let first = replay(&lab, "offline.yaml", &["--format", "json"]);
    first.expect_code(0);
    let second = replay(&lab, "offline.yaml", &["--format", "json"]);
    assert_eq!(
        first.stdout, second.stdout,
        "a replay must repeat byte for byte"
    );
    assert_eq!(lab.requests().len(), before, "a replay sent a request");
    let plan = first.json();
    assert_eq!(plan["snapshot_at"], NOW);
    // A preview time moves only the schedules: the recording's own time still judges the rest.
    let previewed = devicepool(&["plan", "offline.yaml", "--from-snapshot", "snap.json"])
        .args(&["--format", "json"])
        .current_dir(lab.dir.path())
        .env("DEVICEPOOL_NOW", "2026-03-02T12:00:00Z")
        .run();
    previewed.expect_code(0);
    let previewed = previewed.json();
    assert_eq!(previewed["snapshot_at"], NOW);
    assert_eq!(previewed["preview_at"], "2026-03-02T12:00:00Z");
    assert_eq!(previewed["device_pools"], plan["device_pools"]);
    let starts: usize = (0..2)
        .map(|i| plan["device_pools"][i]["starts"].as_array().unwrap().len())
        .sum();
    assert_eq!(starts, 3 + 2, "a55 starts 3 (3 pending), p7 its 2 devices");
}

#[test]
fn a_pool_the_snapshot_never_read_is_held_not_planned_as_empty() {
    let lab = recorded_lab();
    write_config(&lab, "more.yaml", |yaml| {
        yaml + "  s24:\n    task_queue: proj-autophone/gecko-t-s24\n    client_id: project/autophone/s24\n    access_token_env: TC_TOKEN_S24\n    devices: [S24-01]\n"
    });
    let out = replay(&lab, "more.yaml", &["--format", "json"]);
    out.expect_code(4);
    let plan = out.json();
    let s24 = plan["device_pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pool"] == "s24")
        .expect("s24 in the plan");
    let reason = s24["reason"].as_str().unwrap_or_default();
    assert_eq!(s24["status"]["state"], "held");
    assert!(reason.contains("not in the recorded snapshot"), "{s24}");
}

#[test]
fn another_snapshot_format_and_a_saved_replay_plan_are_refused() {
    let lab = recorded_lab();
    std::fs::write(lab.path("snap.json"), r#"{"format": 99}"#).unwrap();
    let out = replay(&lab, lab.config_arg(), &[]);
    out.expect_code(1);
    assert!(out.stderr.contains("snapshot format 99"), "{}", out.stderr);
    let out = replay(&lab, lab.config_arg(), &["--out", "plan.json"]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("--out"), "{}", out.stderr);
    assert!(!lab.path("plan.json").exists());
    // Nor can a replayed plan saved from stdout be applied.
    std::fs::remove_file(lab.path("snap.json")).unwrap();
    lab.command(&["plan", lab.config_arg(), "--record", "snap.json"])
        .env("DEVICEPOOL_SIM_CLOCK", NOW)
        .run()
        .expect_code(0);
    let json = replay(&lab, lab.config_arg(), &["--format", "json"]);
    json.expect_code(0);
    std::fs::write(lab.path("replayed.json"), &json.stdout).unwrap();
    let before = lab.requests().len();
    let out = lab.run(&[
        "apply",
        lab.config_arg(),
        "--plan",
        "replayed.json",
        "--yes",
    ]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("was planned from a recorded snapshot"),
        "{}",
        out.stderr
    );
    assert_eq!(lab.requests().len(), before, "nothing was read or sent");
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn compare_shows_how_a_config_change_alters_the_decisions() {
    let lab = recorded_lab();
    write_config(&lab, "base.yaml", |yaml| yaml);
    write_config(&lab, "change.yaml", |yaml| {
        yaml.replacen("max_starts_per_run: 10", "max_starts_per_run: 1", 1)
            .replace("[P7-01, P7-02]", "[P7-01]")
    });
    let out = replay(&lab, "base.yaml", &["--compare", "change.yaml"]);
    out.expect_code(0);
    let _filters = crate::support::text_filters().bind_to_scope();
    insta::assert_snapshot!(out.stdout);
}

#[test]
fn a_replay_gives_the_live_plan_failures_and_their_reasons_included() {
    let lab = Lab::new(vec![pool("a55", 4, 3), pool("p7", 2, 5)]);
    lab.fleet.taskcluster.server().inject(
        "GET",
        "/api/queue/v1/task-queues/proj-autophone/gecko-t-p7",
        Fault::status(500),
    );
    let live = lab
        .command(&["plan", lab.config_arg(), "--record", "snap.json"])
        .args(&["--format", "json"])
        .env("DEVICEPOOL_SIM_CLOCK", NOW)
        .run();
    live.expect_code(4);
    let replayed = replay(&lab, lab.config_arg(), &["--format", "json"]);
    replayed.expect_code(4);
    // The replay is the live plan, marked as replayed (so `apply --plan` refuses it).
    let mut replayed_plan = replayed.json();
    assert_eq!(replayed_plan["replayed"], true);
    replayed_plan.as_object_mut().unwrap().remove("replayed");
    assert_eq!(
        replayed_plan,
        live.json(),
        "the replay differs from the live plan"
    );
    assert!(live.stdout.contains("HTTP 500"), "{}", live.stdout);
}

#[test]
fn a_replay_for_another_instance_or_a_wider_job_window_holds_every_device_pool() {
    let lab = recorded_lab();
    let taskcluster = lab.fleet.taskcluster.url();
    for (name, edit, key) in [
        ("other-tc.yaml", "root_url", "taskcluster.root_url"),
        ("wider.yaml", "job_window", "lambdatest.job_window"),
    ] {
        write_config(&lab, name, |yaml| match edit {
            "root_url" => yaml.replace(&taskcluster, "https://tc.other.example"),
            _ => yaml.replacen("lambdatest:\n", "lambdatest:\n    job_window: 30h\n", 1),
        });
        let out = replay(&lab, name, &["--format", "json"]);
        out.expect_code(4);
        let plan = out.json();
        for pool in plan["device_pools"].as_array().unwrap() {
            assert_eq!(pool["status"]["state"], "held", "{name}: {pool}");
            let reason = pool["reason"].as_str().unwrap();
            assert!(
                reason.contains(&format!("read with another sources.{key}")),
                "{reason}"
            );
        }
    }
}
