//! Runner pools over their lifetime, through the binary against the GitLab and Docker fakes: a
//! lowered `max_runners` drains (and `apply --verify` says so without failing), a disabled pool
//! is read and reported but never changed, runners are recycled after `max_jobs_per_runner`,
//! a runner busy past `max_job_duration` is flagged and kept, and a non-admin token is told
//! why `/runners/all` refuses it.

use std::collections::BTreeSet;

use crate::runners::RunnerLab;

/// Rewrites the lab's `max_runners` (an evening schedule's lower maximum, say).
fn set_max_runners(lab: &RunnerLab, max: u32) {
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let lowered = yaml.replace("max_runners: 10", &format!("max_runners: {max}"));
    assert_ne!(yaml, lowered);
    std::fs::write(&lab.config, lowered).unwrap();
}

/// One pending job, one apply to start its runner, and the runner picks the job up.
fn start_one_busy_runner(lab: &RunnerLab) -> (u64, u64) {
    let gl = &lab.fleet.gitlab;
    let job = gl.add_pending_job("group/app", &["autogit"]);
    lab.run(&["apply"]).expect_code(0);
    let ids: Vec<u64> = lab.runner_ids().into_iter().collect();
    assert_eq!(ids.len(), 1);
    lab.heartbeat();
    gl.pick_up(job, ids[0]);
    (job, ids[0])
}

fn container_ids(lab: &RunnerLab) -> BTreeSet<String> {
    let containers = lab.fleet.docker.containers();
    containers.into_iter().map(|c| c.id).collect()
}

#[test]
fn a_lowered_max_runners_drains_idle_runners_and_verify_reports_the_drain_with_exit_0() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    let jobs: Vec<u64> = (0..4)
        .map(|_| gl.add_pending_job("group/app", &["autogit"]))
        .collect();
    lab.run(&["apply"]).expect_code(0);
    let runners: Vec<u64> = lab.runner_ids().into_iter().collect();
    assert_eq!(runners.len(), 4);
    lab.heartbeat();
    gl.pick_up(jobs[0], runners[0]);
    gl.pick_up(jobs[1], runners[1]);
    // Jobs 2 and 3 stay pending: demand that alone would keep the two idle runners.
    gl.advance_clock(600);
    lab.heartbeat();

    // Evening: the maximum drops to 1. The idle runners go; the busy ones stay, and the
    // read-back says why instead of calling it a broken promise.
    set_max_runners(&lab, 1);
    let out = lab.run(&["apply", "--verify"]);
    out.expect_code(0);
    let drained: BTreeSet<u64> = [runners[2], runners[3]].into();
    assert_eq!(lab.deleted(), drained, "{}", out.stdout);
    assert!(
        out.stdout.contains(
            "note   autogit: above max_runners 1 with 2 runners, draining: 1 kept because 2 busy"
        ),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("BROKEN"), "{}", out.stdout);

    // Every later run while they are busy: still exit 0, nothing started or removed.
    let again = lab.run(&["apply", "--verify", "--format", "json"]);
    again.expect_code(0);
    let report = again.json();
    assert_eq!(
        report["verified"],
        serde_json::json!([]),
        "{}",
        again.stdout
    );
    let note = report["verify_notes"][0]["note"]
        .as_str()
        .unwrap_or_default();
    assert!(note.contains("2 busy"), "{}", again.stdout);
    assert_eq!(lab.runner_ids().len(), 2);

    // Both jobs end; past the cooldown one of the two goes and the pool is within its maximum.
    for job in &jobs[..2] {
        gl.finish_job(*job, "success");
    }
    gl.advance_clock(600);
    lab.heartbeat();
    let last = lab.run(&["apply", "--verify"]);
    last.expect_code(0);
    assert_eq!(lab.runner_ids().len(), 1, "{}", last.stdout);
    assert!(
        last.stdout
            .contains("Verify: the fleet read back keeps every promise"),
        "{}",
        last.stdout
    );
    assert!(!last.stdout.contains("draining"), "{}", last.stdout);
}

#[test]
fn a_disabled_pool_is_read_and_reported_with_its_orphans_and_limits_but_never_changed() {
    let lab = RunnerLab::new("    disabled: true\n");
    let gl = &lab.fleet.gitlab;
    let id = lab.add_old_style_runner();
    let paused = lab.add_old_style_runner();
    gl.pause_by_hand(paused, None);
    lab.add_orphan_container();
    gl.add_pending_job("group/app", &["gpu"]);
    // Never contacted for an hour: past offline_grace, it would be removed if enabled.
    gl.advance_clock(3600);

    let plan = lab.run(&["plan"]);
    plan.expect_code(0);
    for wanted in [
        "runner pool autogit: disabled",
        "disabled in the desired state: report only (would start 0, remove 2)",
        "runners 2: busy 0, idle 0, gone 1, left alone 1",
        &format!("= kept runner {id}"),
    ] {
        assert!(plan.stdout.contains(wanted), "{wanted}:\n{}", plan.stdout);
    }

    let explain = lab.run(&["explain", "autogit"]);
    explain.expect_code(0);
    for wanted in [
        "autogit (disabled",
        "compared against: idle_cooldown 5m (idle since the last job, else since registered), offline_grace 10m (since last contact), max_job_duration 3h",
        "orphan containers (ours, no runner record): 1",
        "orphan container devicepool-autogit-stray (running) has no runner record",
        &format!(
            "runner {id} devicepool-autogit-100-1: kept (never_contacted past offline_grace; kept: the pool is disabled)"
        ),
    ] {
        assert!(
            explain.stdout.contains(wanted),
            "{wanted}:\n{}",
            explain.stdout
        );
    }

    let before = container_ids(&lab);
    lab.run(&["apply"]).expect_code(0);
    assert!(lab.deleted().is_empty(), "a disabled pool lost a runner");
    assert_eq!(
        container_ids(&lab),
        before,
        "a disabled pool lost a container"
    );
}

#[test]
fn a_runner_is_recycled_once_idle_after_max_jobs_per_runner_and_replaced() {
    let lab = RunnerLab::new("    max_jobs_per_runner: 1\n");
    let gl = &lab.fleet.gitlab;
    let (first_job, worn) = start_one_busy_runner(&lab);
    gl.advance_clock(60);
    gl.finish_job(first_job, "success");
    // A minute later, well within idle_cooldown, with a new job the worn runner could take.
    gl.add_pending_job("group/app", &["autogit"]);
    gl.advance_clock(60);
    lab.heartbeat();

    let plan = lab.run(&["plan"]);
    plan.expect_code(0);
    assert!(
        plan.stdout.contains(&format!(
            "- remove runner {worn} (recycle: ran 1 job(s), max_jobs_per_runner 1: recycled)"
        )),
        "{}",
        plan.stdout
    );
    lab.run(&["apply"]).expect_code(0);
    assert_eq!(lab.deleted(), [worn].into());
    let now: Vec<u64> = lab.runner_ids().into_iter().collect();
    assert_eq!(now.len(), 1, "a fresh runner replaces the recycled one");
    assert_ne!(now[0], worn);
}

#[test]
fn a_runner_busy_past_max_job_duration_is_flagged_in_plan_explain_and_metrics_and_kept() {
    let lab = RunnerLab::new("    max_job_duration: 1h\n");
    let gl = &lab.fleet.gitlab;
    let (job, runner) = start_one_busy_runner(&lab);
    gl.advance_clock(2 * 3600 + 60);
    lab.heartbeat();
    // With the maximum at 0 the pool drains: the stuck runner is still never removed.
    set_max_runners(&lab, 0);

    let metrics = lab.config.with_file_name("metrics.prom");
    let plan = lab.run(&["plan", "--metrics-file", metrics.to_str().unwrap()]);
    plan.expect_code(0);
    let flagged = format!("= busy_too_long runner {runner} devicepool-autogit-");
    assert!(plan.stdout.contains(&flagged), "{}", plan.stdout);
    assert!(
        plan.stdout.contains("job(s) running") || plan.stdout.contains("busy 1 (1 too long)"),
        "{}",
        plan.stdout
    );
    let explain = lab.run(&["explain", "autogit"]);
    assert!(
        explain.stdout.contains(&format!(
            "job {job} running for 2h 1m, longer than max_job_duration 1h: stuck or slow, never removed"
        )),
        "{}",
        explain.stdout
    );
    let prom = std::fs::read_to_string(&metrics).unwrap();
    assert!(
        prom.contains("devicepool_runner_pool_busy_too_long{partition=\"all\",pool=\"autogit\"} 1"),
        "{prom}"
    );
    lab.run(&["apply"]).expect_code(0);
    assert!(lab.deleted().is_empty(), "a busy runner was removed");
}

#[test]
fn a_token_without_admin_rights_is_told_runners_all_needs_one() {
    let lab = RunnerLab::new("");
    let user = lab.fleet.gitlab.user_token();
    let out = lab.command(&["plan"]).env("GITLAB_TOKEN", &user).run();
    out.expect_code(4);
    assert!(
        out.stdout.contains("403") && out.stdout.contains("needs an administrator's token"),
        "{}",
        out.stdout
    );
}
