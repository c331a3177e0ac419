//! Runner roll-outs and busy runners, through the binary against the GitLab and Docker fakes:
//! `apply --verify` flags a job still running on a runner this run removed (a job that landed
//! after the removal's last check), and says nothing of the kind after a normal roll-out.

use crate::rollout_runners::{change_image, lab_keeping, start_runners};
use crate::runners::wait_for_request;
use devicepool_sim::Fault;

const FLAG: &str = "busy when removed";

#[test]
fn verify_flags_a_job_that_landed_on_a_runner_as_it_was_removed_and_not_a_normal_roll_out() {
    let lab = lab_keeping(3, "    rollout: {max_per_run: 1}\n");
    start_runners(&lab, 3);
    change_image(&lab);
    let gl = &lab.fleet.gitlab;
    let normal = lab.run(&["apply", "--verify"]);
    normal.expect_code(0);
    assert_eq!(lab.deleted().len(), 1, "{}", normal.stdout);
    assert!(!normal.stdout.contains(FLAG), "{}", normal.stdout);
    lab.heartbeat();
    gl.advance_clock(60);

    // The delete is slow; the runner takes a job after its last check (a job request GitLab
    // was already answering when the pause came).
    let project = gl.jobs()[0].project_id;
    gl.server()
        .inject("DELETE", "/api/v4/runners/", Fault::delay(1500).times(1));
    let before = lab.deleted();
    assert_eq!(
        running_lists(gl),
        1,
        "one list of the project's running jobs"
    );
    gl.server().clear_requests();
    let child = lab.command(&["apply", "--verify"]).spawn();
    wait_for_request(gl.server(), "DELETE", "/api/v4/runners/");
    let removed = *lab.deleted().difference(&before).next().unwrap();
    let job = gl.start_job(removed, project);
    let out = child.wait();
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!lab.runner_ids().contains(&removed), "{}", out.stdout);
    let line = out
        .stdout
        .lines()
        .find(|l| l.contains(FLAG))
        .unwrap_or_else(|| panic!("not flagged: {}", out.stdout));
    assert!(
        line.contains(&format!("job {job} of group/app is running with no runner"))
            && line.contains(&format!("runner {removed}")),
        "{line}"
    );
    assert_eq!(running_lists(gl), 1);
}

/// Lists of a project's running jobs the fake GitLab has been asked for.
fn running_lists(gl: &devicepool_sim::GitlabSim) -> usize {
    let requests = gl.server().requests();
    let lists = requests
        .iter()
        .filter(|r| r.path.starts_with("/api/v4/projects/") && r.path.ends_with("/jobs"));
    lists.filter(|r| r.query.contains("running")).count()
}

#[test]
fn a_full_pool_whose_outdated_removal_is_kept_for_a_landed_job_is_a_note_not_broken() {
    let lab = lab_keeping(3, "    rollout: {max_per_run: 1}\n");
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    std::fs::write(
        &lab.config,
        yaml.replace("max_runners: 10", "max_runners: 3"),
    )
    .unwrap();
    start_runners(&lab, 3);
    change_image(&lab);
    let gl = &lab.fleet.gitlab;
    let project = gl.jobs()[0].project_id;
    // The pause is slow; a job lands on the outdated runner meanwhile, so it is kept.
    gl.server()
        .inject("PUT", "/api/v4/runners/", Fault::delay(1500).times(1));
    let child = lab.command(&["apply", "--verify"]).spawn();
    wait_for_request(gl.server(), "PUT", "/api/v4/runners/");
    let paused = gl
        .server()
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT");
    let id: u64 = paused
        .unwrap()
        .path
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    gl.start_job(id, project);
    let out = child.wait();
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        lab.runner_ids().len(),
        4,
        "the replacement started, the old one kept"
    );
    assert!(
        out.stdout
            .contains("note   autogit: 4 runners of ours, above max_runners 3, after this run started 1 and kept 1 removal(s) it counted on"),
        "{}",
        out.stdout
    );
}
