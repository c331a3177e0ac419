//! Unit tests of `ops/clock.rs`.

use super::*;

#[test]
fn a_clock_variable_is_unset_a_timestamp_or_refused() {
    assert!(parse_time(NOW_VAR, None).unwrap().is_none());
    let at = parse_time(NOW_VAR, Some("2025-06-01T12:00:00Z"))
        .unwrap()
        .unwrap();
    assert_eq!(at.to_string(), "2025-06-01T12:00:00Z");
    for bad in ["garbage", "", "2025-06-01T12:00:00", "2025-06-01"] {
        let message = parse_time(NOW_VAR, Some(bad)).unwrap_err().to_string();
        assert!(message.contains("DEVICEPOOL_NOW"), "{message}");
        assert!(message.contains("RFC 3339"), "{message}");
    }
}

#[test]
fn apply_refuses_any_preview_time() {
    assert!(refuse_preview_for_apply(None).is_ok());
    let message = refuse_preview_for_apply(Some("2025-06-01T12:00:00Z"))
        .unwrap_err()
        .to_string();
    assert!(message.contains("DEVICEPOOL_NOW is set"), "{message}");
    assert!(message.contains("devicepool plan"), "{message}");
}

#[test]
fn only_loopback_hosts_and_unix_sockets_count_as_simulated() {
    for near in [
        "http://127.0.0.1:8080/",
        "http://localhost:1/x",
        "http://[::1]:9/",
        "unix:///var/run/docker.sock",
        "tcp://127.0.0.2:2375",
    ] {
        assert!(is_loopback(near), "{near}");
    }
    for far in [
        "https://api.hyperexecute.cloud",
        "http://10.0.0.1/",
        "https://localhost.evil.example/",
        "not a url",
    ] {
        assert!(!is_loopback(far), "{far}");
    }
}

#[test]
fn a_release_build_refuses_the_simulated_clock() {
    assert!(refuse_sim_clock_in_release(None, false).is_ok());
    assert!(refuse_sim_clock_in_release(Some("2025-06-01T12:00:00Z"), true).is_ok());
    let message = refuse_sim_clock_in_release(Some("2025-06-01T12:00:00Z"), false)
        .unwrap_err()
        .to_string();
    assert!(message.contains("for the test suite only"), "{message}");
    assert!(message.contains("Unset it"), "{message}");
    assert_eq!(SIM_CLOCK_HONOURED, cfg!(debug_assertions));
}
