//! Unit tests of `reconcilers/runner_pools/conventions.rs`.

use super::{is_ours, runner_name};

#[test]
fn claims_exactly_its_own_runner_names() {
    assert!(is_ours("devicepool-ci-1795608000-3", "ci"));
    assert!(is_ours(&runner_name("ci", 1795608000, 3), "ci"));
    assert!(is_ours(&runner_name("ci-big", 1, 1), "ci-big"));
    assert!(!is_ours("devicepool-ci-big-1795608000-3", "ci"));
    assert!(is_ours("devicepool-ci-big-1795608000-3", "ci-big"));
    assert!(!is_ours("devicepool-ci-1795608000", "ci"));
    assert!(!is_ours("devicepool-ci-old-1", "ci"));
}

#[test]
fn a_spec_label_is_believed_only_when_it_is_spec_and_twelve_hex() {
    use super::{SPEC_LABEL, container_spec};
    let labels = |v: &str| [(SPEC_LABEL.to_string(), v.to_string())].into();
    assert_eq!(
        container_spec(&labels("spec:0123456789ab")).as_deref(),
        Some("0123456789ab")
    );
    for bad in [
        "0123456789ab",
        "spec:0123456789AB",
        "spec:0123",
        "spec:0123456789abc",
    ] {
        assert_eq!(container_spec(&labels(bad)), None, "{bad}");
    }
    assert_eq!(container_spec(&Default::default()), None);
}
