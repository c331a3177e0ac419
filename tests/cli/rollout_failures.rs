//! A runner roll-out whose new spec fails, through the binary against the GitLab and Docker
//! fakes: the failed new runners are kept as evidence past `offline_grace`, run after run, so
//! the roll-out stays paused instead of forgetting the failure and churning through the pool;
//! once the spec changes (here, put back) they are outdated and go as usual.

use std::collections::BTreeSet;

use crate::rollout_runners::{canary_lab, new_containers, rollout_of};
use crate::runners::IMAGE;

/// The runner ids of the containers with these ids.
fn runners_of(lab: &crate::runners::RunnerLab, containers: &[String]) -> BTreeSet<u64> {
    let all = lab.fleet.docker.containers().into_iter();
    all.filter(|c| containers.contains(&c.id))
        .filter_map(|c| c.labels.get("devicepool.runner-id")?.parse().ok())
        .collect()
}

fn old_containers(lab: &crate::runners::RunnerLab) -> usize {
    let all = lab.fleet.docker.containers().into_iter();
    all.filter(|c| c.image == IMAGE && c.is_running()).count()
}

#[test]
fn a_failing_new_spec_keeps_its_failed_runners_and_stays_paused_past_offline_grace() {
    let lab = canary_lab();
    lab.run(&["apply"]).expect_code(0);
    // The new image's entrypoint exits: its containers stop and never contact GitLab.
    let new = new_containers(&lab);
    for id in &new {
        lab.fleet.docker.kill(id);
    }
    let failed = runners_of(&lab, &new);
    assert_eq!(failed.len(), 2, "the canary share");
    for run in 1..=3 {
        lab.heartbeat();
        // Each run is past offline_grace (10m) since the failed runners were registered.
        lab.fleet.gitlab.advance_clock(11 * 60);
        let out = lab.run(&["apply"]);
        out.expect_code(0);
        let rollout = rollout_of(&lab, "autogit");
        assert_eq!(rollout["state"], "paused", "run {run}: {rollout}");
        assert!(
            failed.is_subset(&lab.runner_ids()),
            "run {run} removed a failed runner: {}",
            out.stdout
        );
        assert_eq!(old_containers(&lab), 8, "run {run}: {}", out.stdout);
    }
    let plan = lab.run(&["plan"]);
    assert!(
        plan.stdout
            .contains("2 failed on the new spec, kept as the roll-out's evidence")
            && plan.stdout.contains("failed 2 (kept as evidence)"),
        "{}",
        plan.stdout
    );
    // The Markdown summary words the runner numbers as the text plan does, failed ones too.
    let counts = (plan.stdout.lines())
        .find_map(|l| l.trim_start().strip_prefix("runners ")?.split(" | ").next())
        .expect("the text plan has a runners line");
    let markdown = lab.run(&["plan", "--format", "markdown"]);
    markdown.expect_code(0);
    assert!(
        markdown
            .stdout
            .contains(&format!("runners {counts}; pending jobs")),
        "{counts:?} not in {}",
        markdown.stdout
    );

    // The old image is put back: the failed runners are outdated now and go past the grace.
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let new_image = crate::rollout_runners::NEW_IMAGE;
    std::fs::write(&lab.config, yaml.replace(new_image, IMAGE)).unwrap();
    lab.run(&["apply"]).expect_code(0);
    assert!(
        failed.is_disjoint(&lab.runner_ids()),
        "the failed runners go once their spec is no longer the current one"
    );
}
