//! Unit tests of `logging.rs`.

use super::check_filter;

#[test]
fn a_filter_must_name_a_level_in_every_directive() {
    for good in [
        "debug",
        "WARN",
        "devicepool=debug,warn",
        "info, ureq=off",
        "a[span]",
    ] {
        assert!(check_filter(good).is_ok(), "{good}");
    }
    for bad in ["degub", "warn,degub", "devicepool=verbose", "devicepool"] {
        let message = check_filter(bad).unwrap_err();
        assert!(message.contains("DEVICEPOOL_LOG"), "{message}");
        assert!(
            message.contains("off, error, warn, info, debug, trace"),
            "{message}"
        );
    }
}
