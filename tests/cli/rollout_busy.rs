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
