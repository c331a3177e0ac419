//! Unit tests of `etcd_process.rs`: a missing etcd skips a test, except under any `CI`.

use std::ffi::OsStr;

use super::decide;

#[test]
fn a_missing_etcd_skips_outside_ci_and_fails_under_any_ci_value() {
    assert_eq!(decide(true, Some(OsStr::new("true"))), Ok(true));
    assert_eq!(decide(false, None), Ok(false));
    for ci in ["true", "1", "yes", ""] {
        assert!(decide(false, Some(OsStr::new(ci))).is_err(), "CI={ci:?}");
    }
}
