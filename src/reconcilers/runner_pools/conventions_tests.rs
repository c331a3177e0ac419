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
