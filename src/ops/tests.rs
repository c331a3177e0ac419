//! Unit tests of `ops/mod.rs`.

use super::parse_now;

#[test]
fn devicepool_now_is_unset_a_timestamp_or_refused() {
    assert!(parse_now(None).unwrap().is_none());
    let at = parse_now(Some("2025-06-01T12:00:00Z")).unwrap().unwrap();
    assert_eq!(at.to_string(), "2025-06-01T12:00:00Z");
    for bad in ["garbage", "", "2025-06-01T12:00:00", "2025-06-01"] {
        let message = parse_now(Some(bad)).unwrap_err().to_string();
        assert!(message.contains("DEVICEPOOL_NOW"), "{message}");
        assert!(message.contains("RFC 3339"), "{message}");
    }
}
