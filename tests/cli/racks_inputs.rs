//! Rack settings that could only fail at the APIs are refused before any request: a reserve
//! timeout over 6 h without Testflinger client credentials (every deploy would get 401), and
//! a MAAS API key that is not `consumer_key:token_key:token_secret` (every read would fail).
//! Driven through the binary against the MAAS and Testflinger fakes.

use crate::racks::RackLab;
use crate::support::devicepool;

/// No request reached MAAS or Testflinger.
fn assert_no_request(lab: &RackLab) {
    assert!(
        lab.fleet.maas.server().requests().is_empty(),
        "a MAAS request was sent"
    );
    let tf = lab.fleet.testflinger.server().requests();
    assert!(tf.is_empty(), "a Testflinger request was sent: {tf:?}");
}

#[test]
fn a_reservation_over_six_hours_without_credentials_is_refused_where_it_is_written() {
    let lab = RackLab::new();
    for timeout in ["21601", "8h", "'1d'"] {
        let yaml = lab.yaml(40).replace(
            "reserve_data: {timeout: 120}",
            &format!("reserve_data: {{timeout: {timeout}}}"),
        );
        std::fs::write(&lab.config, yaml).unwrap();
        let out = devicepool(&["validate", lab.config_arg()]).run();
        assert_eq!(out.code, 1, "timeout {timeout}: {out:?}");
        for word in [
            "racks.yaml:18:29:",
            "over 6h",
            "authenticated client",
            "401",
        ] {
            assert!(
                out.stderr.contains(word),
                "timeout {timeout}: want {word:?} in {}",
                out.stderr
            );
        }
        lab.fleet.maas.server().clear_requests();
        lab.fleet.testflinger.server().clear_requests();
        lab.run(&["plan", lab.config_arg()]).expect_code(1);
        assert_no_request(&lab);
    }
    // Six hours exactly is what an anonymous client may reserve.
    let yaml = lab.yaml(40).replace("timeout: 120", "timeout: 6h");
    std::fs::write(&lab.config, yaml).unwrap();
    devicepool(&["validate", lab.config_arg()])
        .run()
        .expect_code(0);
    // With client credentials the server judges the client's own limit.
    let yaml = lab.yaml(40).replace("timeout: 120", "timeout: 8h").replace(
        "  testflinger:\n",
        "  testflinger:\n    client_id: lab-client\n    client_secret_env: TF_SECRET\n",
    );
    std::fs::write(&lab.config, yaml).unwrap();
    devicepool(&["validate", lab.config_arg()])
        .run()
        .expect_code(0);
}

#[test]
fn a_malformed_maas_key_is_bad_input_and_never_printed() {
    let lab = RackLab::new();
    let keys = [
        (
            "two parts",
            "Consumer0123456789:TokenSecret0123456789abc",
            "2 part(s)",
        ),
        (
            "an empty part",
            "Consumer0123456789::TokenSecret0123456789abc",
            "second part is empty",
        ),
        (
            "a space",
            "Consumer0123456789:Token 0123:TokenSecret0123456789abc",
            "whitespace",
        ),
    ];
    for (name, key, why) in keys {
        lab.fleet.maas.server().clear_requests();
        lab.fleet.testflinger.server().clear_requests();
        let out = lab
            .command(&["plan", lab.config_arg()])
            .env("MAAS_API_KEY", key)
            .run();
        assert_eq!(out.code, 1, "{name}: {out:?}");
        for word in ["MAAS_API_KEY", "consumer_key:token_key:token_secret", why] {
            assert!(
                out.stderr.contains(word),
                "{name}: want {word:?} in {}",
                out.stderr
            );
        }
        for part in key.split([':', ' ']).filter(|p| !p.is_empty()) {
            let shown = out.stderr.contains(part) || out.stdout.contains(part);
            assert!(!shown, "{name}: a part of the key was printed: {out:?}");
        }
        assert_no_request(&lab);
    }
}

#[test]
fn restricted_queues_without_a_client_id_are_warned_about_where_written() {
    let lab = RackLab::new();
    let yaml = lab.yaml(40).replace(
        "    every: 6h\n",
        "    every: 6h\n    restricted_queues: [cid-01]\n",
    );
    std::fs::write(&lab.config, &yaml).unwrap();
    lab.fleet.testflinger.server().clear_requests();
    let out = devicepool(&["validate", lab.config_arg()]).run();
    assert_eq!(out.code, 0, "{out:?}");
    let line = 1 + yaml
        .lines()
        .position(|l| l.contains("restricted_queues"))
        .unwrap();
    for want in [
        "warning".to_string(),
        format!("racks.yaml:{line}:"),
        "sources.testflinger.client_id is not set".to_string(),
        "skipped (restricted_queue)".to_string(),
    ] {
        assert!(out.stderr.contains(&want), "want {want}: {}", out.stderr);
    }
    assert_no_request(&lab);
}
