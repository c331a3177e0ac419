//! The Kubernetes Lease through the binary, against the fake API server: two hosts racing,
//! a Lease changed under the holder (409 on renewal), a Role without `create` (403 naming
//! the verb), the token and CA files, and a takeover once `renewTime +
//! leaseDurationSeconds` has passed.

use std::path::Path;

use devicepool_sim::{Fault, KubernetesSim, SIM_KUBERNETES_TOKEN};

use super::{
    apply_until_first_deploy, expect_status_after_success, expect_stopped_by_lost_lease,
    expect_takeover_converges, host_config, race,
};
use crate::kill::kill_after;
use crate::racks::RackLab;

/// The CA certificate handed to the run (PEM; the fake speaks plain HTTP, so it is read and
/// parsed, not used).
const TEST_CA: &str = include_str!("test-ca.pem");

/// A rack lab whose deploys take `delay_ms`, a fake API server, and the `settings.lock`
/// YAML pointing at it with token and CA files in `files_dir`.
fn lab_with_lease(delay_ms: u64, ttl: &str) -> (RackLab, KubernetesSim, String) {
    let lab = RackLab::new();
    lab.fleet
        .testflinger
        .server()
        .inject("POST", "/v1/job", Fault::delay(delay_ms));
    let k8s = KubernetesSim::start().unwrap();
    let dir = lab.config.parent().unwrap().to_path_buf();
    let lock = lock_yaml(&k8s.url(), &dir, SIM_KUBERNETES_TOKEN, ttl);
    (lab, k8s, lock)
}

fn lock_yaml(url: &str, dir: &Path, token: &str, ttl: &str) -> String {
    let (token_file, ca_file) = (dir.join("sa-token"), dir.join("sa-ca.crt"));
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    std::fs::write(&ca_file, TEST_CA).unwrap();
    format!(
        "{{kubernetes: {{namespace: lab, name: devicepool, url: {url}, token_file: {}, ca_file: {}, ttl: {ttl}}}}}",
        token_file.display(),
        ca_file.display()
    )
}

#[test]
fn two_hosts_racing_on_a_lease_one_acts_and_the_lease_names_it() {
    let (lab, k8s, lock) = lab_with_lease(100, "5s");
    let (a, b) = (host_config(&lab, "a", &lock), host_config(&lab, "b", &lock));
    let loser = race(&lab, &a, &b);
    assert!(
        loser.stderr.contains("Lease lab/devicepool at"),
        "{}",
        loser.stderr
    );
    // Given back: no holder, the run record kept in the annotation.
    let lease = k8s.lease("lab", "devicepool").unwrap();
    assert!(lease["spec"]["holderIdentity"].is_null(), "{lease}");
    let record = lease["metadata"]["annotations"]["devicepool.io/run-record"]
        .as_str()
        .unwrap();
    assert!(record.contains("last_success_at"), "{record}");
    expect_status_after_success(&lab, &b, "Lease lab/devicepool at");
}

#[test]
fn a_lease_changed_under_its_holder_is_lost_and_no_new_deploy_starts() {
    let (lab, k8s, lock) = lab_with_lease(400, "3s");
    let a = host_config(&lab, "a", &lock);
    let running = apply_until_first_deploy(&lab, &a);
    // Another writer takes the Lease over: the holder's next write gets a 409.
    k8s.edit_lease("lab", "devicepool", |lease| {
        lease["spec"]["holderIdentity"] = "someone-else".into();
    });
    expect_stopped_by_lost_lease(&lab, &running.wait(), "409 Conflict");
    // The other writer's holder is left alone.
    let lease = k8s.lease("lab", "devicepool").unwrap();
    assert_eq!(lease["spec"]["holderIdentity"], "someone-else");
}

#[test]
fn a_role_without_create_is_named_in_the_error_and_nothing_is_deployed() {
    let (lab, k8s, lock) = lab_with_lease(0, "5s");
    k8s.allow(&["get", "update"]);
    let a = host_config(&lab, "a", &lock);
    let out = lab.run(&["apply", &a]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("HTTP 403: the service account may not create leases.coordination.k8s.io \"devicepool\" in namespace \"lab\""),
        "{}",
        out.stderr
    );
    assert!(lab.submitted_agents().is_empty());
}

#[test]
fn the_token_and_ca_files_are_used_and_their_faults_named_without_the_token() {
    let (lab, k8s, _) = lab_with_lease(0, "5s");
    let dir = lab.config.parent().unwrap().to_path_buf();
    // A token the API server does not know: 401, and the token is never printed.
    let wrong = lock_yaml(&k8s.url(), &dir, "not-the-sa-token-5Kd", "5s");
    let a = host_config(&lab, "a", &wrong);
    let out = lab.run(&["lock", "status", &a]);
    out.expect_code(1);
    assert!(out.stderr.contains("HTTP 401"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("not-the-sa-token-5Kd"),
        "{}",
        out.stderr
    );
    // A CA file that holds no certificate.
    std::fs::write(dir.join("sa-ca.crt"), "not a certificate\n").unwrap();
    let out = lab.run(&["lock", "status", &a]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("sa-ca.crt holds no PEM certificate"),
        "{}",
        out.stderr
    );
    // In-cluster defaults without a pod around them.
    let in_cluster = host_config(
        &lab,
        "c",
        "{kubernetes: {namespace: lab, name: devicepool}}",
    );
    let out = lab
        .command(&["lock", "status", &in_cluster])
        .env_remove("KUBERNETES_SERVICE_HOST")
        .run();
    out.expect_code(1);
    assert!(
        out.stderr.contains("KUBERNETES_SERVICE_HOST"),
        "{}",
        out.stderr
    );
    // The right files: the bearer token reaches the server.
    let right = lock_yaml(&k8s.url(), &dir, SIM_KUBERNETES_TOKEN, "5s");
    let b = host_config(&lab, "b", &right);
    lab.run(&["lock", "status", &b]).expect_code(0);
    let sent = k8s.server().requests();
    let last = sent.last().unwrap();
    assert_eq!(
        last.header("authorization"),
        Some(format!("Bearer {SIM_KUBERNETES_TOKEN}").as_str())
    );
}

#[test]
fn a_killed_holder_is_taken_over_once_renew_time_plus_duration_has_passed() {
    let (lab, k8s, lock) = lab_with_lease(700, "3s");
    let (a, b) = (host_config(&lab, "a", &lock), host_config(&lab, "b", &lock));
    let tf = lab.fleet.testflinger.server();
    // The lab's two fixture deploys, then two of the apply's.
    kill_after(
        lab.command(&["apply", &a]).spawn(),
        tf,
        "POST",
        "/v1/job",
        4,
    );
    let killed_holder = k8s.lease("lab", "devicepool").unwrap()["spec"]["holderIdentity"].clone();
    lab.run(&["apply", &b]).expect_code(5);
    expect_takeover_converges(&lab, &b);
    let lease = k8s.lease("lab", "devicepool").unwrap();
    // Taken over once by the waiting run, once more by the run after it.
    assert_eq!(lease["spec"]["leaseTransitions"], 2, "{lease}");
    assert_ne!(lease["spec"]["holderIdentity"], killed_holder);
}
