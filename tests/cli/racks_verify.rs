//! `apply --verify` on racks: the fleet read back after an apply holds at most one deploy of
//! ours not ended per agent, and every deploy of the run went to a machine MAAS lists under the
//! rack's tags, or the run says which agent breaks it and exits 6.

use std::time::{Duration, Instant};

use devicepool_sim::Fault;

use crate::racks::RackLab;

#[test]
fn a_normal_apply_of_a_rack_verifies_clean() {
    let lab = RackLab::new();
    let out = lab.run(&["apply", lab.config_arg(), "--verify"]);
    out.expect_code(0);
    assert!(
        out.stdout
            .contains("Verify: the fleet read back keeps every promise"),
        "{}",
        out.stdout
    );
    assert_eq!(lab.submitted_agents().len(), 32);
}

#[test]
fn an_agent_holding_two_deploys_of_ours_is_reported_broken() {
    let lab = RackLab::new();
    // host-07 already has a deploy of ours queued; a second one, as a double submission would leave.
    let second = lab.submit("host-07");
    let out = lab.run(&["apply", lab.config_arg(), "--verify", "--format", "json"]);
    out.expect_code(6);
    let broken = out.json()["verified"].as_array().unwrap().clone();
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(broken[0]["kind"], "rack");
    assert_eq!(broken[0]["pool"], "rack-a");
    let problem = broken[0]["problem"].as_str().unwrap();
    assert!(
        problem.contains("agent host-07 has 2 deploys of ours not ended")
            && problem.contains(&second),
        "{problem}"
    );
    // The text report names it too.
    let text = lab.run(&["apply", lab.config_arg(), "--verify"]);
    text.expect_code(6);
    assert!(
        text.stdout.contains("BROKEN rack-a: agent host-07 has 2"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_deploy_to_a_machine_that_left_the_racks_tags_is_reported_broken() {
    let lab = RackLab::new();
    std::fs::write(&lab.config, lab.yaml(1)).unwrap();
    let tf = lab.fleet.testflinger.server();
    tf.clear_requests();
    // The submission is slow; while it is on its way, host-01 leaves the rack in MAAS.
    tf.inject("POST", "/v1/job", Fault::delay(800).times(1));
    let running = lab
        .command(&["apply", lab.config_arg(), "--verify", "--format", "json"])
        .spawn();
    let submitting = || {
        let requests = tf.requests();
        requests
            .iter()
            .any(|r| r.method == "POST" && r.path == "/v1/job")
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while !submitting() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(submitting(), "the apply never submitted");
    lab.fleet.maas.remove_machine_tag("host-01", "rack-a");
    let out = running.wait();
    out.expect_code(6);
    assert_eq!(lab.submitted_agents(), ["host-01"]);
    let broken = out.json()["verified"].as_array().unwrap().clone();
    assert_eq!(broken.len(), 1, "{broken:?}");
    let problem = broken[0]["problem"].as_str().unwrap();
    assert!(
        problem.contains(
            "went to host-01, a machine MAAS does not list under the rack's maas_tags (rack-a)"
        ),
        "{problem}"
    );
}
