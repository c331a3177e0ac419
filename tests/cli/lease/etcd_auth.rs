//! The etcd lease with etcd authentication on: a run outlives its auth token (etcd forgets it
//! after an idle second here) and still converges, and a wrong password is refused without
//! ever being printed.

use std::time::Instant;

use devicepool_sim::Fault;

use super::etcd_server::EtcdServer;
use super::host_config;
use crate::racks::RackLab;

const PASSWORD: &str = "s3cret-etcd-pw";

/// An etcd with authentication on, a rack lab whose deploys take `delay_ms`, and one host
/// locking on it with `ttl`.
fn host_with_auth(delay_ms: u64, ttl: &str) -> Option<(EtcdServer, RackLab, String)> {
    let etcd = EtcdServer::start_with_auth(PASSWORD)?;
    let lab = RackLab::new();
    lab.fleet
        .testflinger
        .server()
        .inject("POST", "/v1/job", Fault::delay(delay_ms));
    let config = host_config(&lab, "a", &etcd.lock_yaml_with_auth(ttl));
    // Two deploys at a time: the run lasts 16 times the delay.
    let yaml = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        yaml.replace("backoff: 10ms}", "backoff: 10ms, parallel_requests: 2}"),
    )
    .unwrap();
    Some((etcd, lab, config))
}

#[test]
fn a_run_longer_than_its_etcd_auth_token_authenticates_again_and_keeps_the_lease() {
    let Some((_etcd, lab, a)) = host_with_auth(500, "6s") else {
        return;
    };
    let started = Instant::now();
    let out = lab
        .command(&["apply", &a])
        .env("ETCD_USER", "root")
        .env("ETCD_PASSWORD", PASSWORD)
        .run();
    // etcd forgets a token 1-2s after its last use: renewals (every 2s) and the release
    // meet a 401.
    assert!(
        started.elapsed().as_secs() >= 2,
        "the run was too short to outlive its token: {}\n{}",
        out.code,
        out.stderr
    );
    out.expect_code(0);
    assert!(!out.stderr.contains("auth token"), "{}", out.stderr);
    assert_eq!(lab.submitted_agents().len(), 32);
    super::assert_no_duplicate(&lab);
    // Given back, not left to run out.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let status = lab
        .command(&["lock", "status", &a])
        .env("ETCD_USER", "root")
        .env("ETCD_PASSWORD", PASSWORD)
        .run();
    status.expect_code(0);
    assert!(status.stdout.contains(": free\n"), "{}", status.stdout);
}

#[test]
fn a_wrong_etcd_password_is_refused_without_printing_it() {
    let Some((_etcd, lab, a)) = host_with_auth(0, "6s") else {
        return;
    };
    let wrong = "wrong-pw-9f3k2";
    let out = lab
        .command(&["apply", &a])
        .env("ETCD_USER", "root")
        .env("ETCD_PASSWORD", wrong)
        .run();
    assert_ne!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("authentication refused"),
        "{}",
        out.stderr
    );
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(wrong) && !text.contains(PASSWORD), "{text}");
    }
    assert!(lab.submitted_agents().is_empty());
}
