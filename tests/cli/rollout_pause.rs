//! Runner roll-outs with `idle_only: false`, through the binary against the GitLab and Docker
//! fakes: an outdated busy runner is paused in GitLab (its maintenance note saying why) and
//! never removed while its job runs; once the job ends it is replaced (start new, then remove
//! old). With the default `idle_only: true` the busy runner is neither paused nor removed.

use crate::rollout_runners::{change_image, lab_keeping, start_runners};
use crate::runners::RunnerLab;

const NOTE: &str = "devicepool: paused for roll-out";

/// A pool of one runner on the old image, busy with a job, the image just changed.
fn busy_lab(extra: &str) -> (RunnerLab, u64, u64) {
    let lab = lab_keeping(1, extra);
    start_runners(&lab, 1);
    let busy = *lab.runner_ids().iter().next().unwrap();
    let job = lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    lab.fleet.gitlab.pick_up(job, busy);
    change_image(&lab);
    (lab, busy, job)
}

/// Runner `id` as the GitLab fake holds it: paused, and its maintenance note.
fn pause_of(lab: &RunnerLab, id: u64) -> (bool, Option<String>) {
    let runners = lab.fleet.gitlab.runners();
    let runner = runners
        .iter()
        .find(|r| r.id == id)
        .expect("runner still there");
    (runner.paused, runner.maintenance_note.clone())
}

#[test]
fn idle_only_false_pauses_an_outdated_busy_runner_and_replaces_it_once_its_job_ended() {
    let (lab, busy, job) = busy_lab("    rollout: {idle_only: false}\n");
    let plan = lab.run(&["plan"]);
    plan.expect_code(0);
    assert!(
        plan.stdout
            .contains(&format!("~ pause runner {busy} (outdated spec")),
        "{}",
        plan.stdout
    );
    assert!(
        plan.stdout.contains("1 runner(s) to pause for roll-out"),
        "{}",
        plan.stdout
    );
    let json = lab.run(&["plan", "--format", "json"]);
    let pauses = &json.json()["runner_pools"][0]["pauses"];
    assert_eq!(pauses[0]["runner_id"], busy, "{pauses}");
    let markdown = lab.run(&["plan", "--format", "markdown"]).stdout;
    assert!(
        markdown.contains(&format!("pause runner {busy}")),
        "{markdown}"
    );
    let explain = lab.run(&["explain", "autogit"]);
    assert!(
        explain.stdout.contains("paused for roll-out"),
        "{}",
        explain.stdout
    );

    let out = lab.run(&["apply", "--verify"]);
    out.expect_code(0);
    assert!(
        out.stdout
            .contains(&format!("autogit pause runner {busy} for roll-out")),
        "{}",
        out.stdout
    );
    assert_eq!(pause_of(&lab, busy), (true, Some(NOTE.to_string())));
    assert!(
        !lab.deleted().contains(&busy),
        "a busy runner is never removed"
    );
    lab.heartbeat();
    lab.fleet.gitlab.advance_clock(60);

    // Still busy: held, neither removed nor paused again, nor is another runner paused.
    lab.run(&["apply", "--verify"]).expect_code(0);
    assert!(!lab.deleted().contains(&busy));
    lab.heartbeat();
    lab.fleet.gitlab.advance_clock(60);

    lab.fleet.gitlab.finish_job(job, "success");
    let out = lab.run(&["apply", "--verify"]);
    out.expect_code(0);
    assert!(
        lab.deleted().contains(&busy),
        "replaced once idle: {}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!("remove runner {busy}")),
        "{}",
        out.stdout
    );
    let after = lab.run(&["plan", "--format", "json"]);
    let rollout = &after.json()["runner_pools"][0]["rollout"];
    assert_eq!(rollout["state"], "converged", "{rollout}");
}

#[test]
fn idle_only_true_neither_pauses_nor_removes_an_outdated_busy_runner() {
    let (lab, busy, _job) = busy_lab("");
    let plan = lab.run(&["plan"]);
    plan.expect_code(0);
    assert!(!plan.stdout.contains("pause runner"), "{}", plan.stdout);
    lab.run(&["apply", "--verify"]).expect_code(0);
    assert_eq!(pause_of(&lab, busy), (false, None));
    assert!(!lab.deleted().contains(&busy));
}
