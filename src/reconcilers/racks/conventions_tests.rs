//! Unit tests of `reconcilers/racks/conventions.rs`.

use super::*;
use crate::secret::Secret;

fn tags(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn a_named_fleet_claims_only_pre_fleet_jobs_on_the_agent() {
    let owner = Ownership::new("lab", None);
    assert!(looks_for_claims(&owner));
    let pre_fleet = tags(&["devicepool", "rack:r", "agent:a1"]);
    assert!(claim_reason(&owner, "a1", &pre_fleet).is_some());
    assert_eq!(
        claim_reason(&owner, "a2", &pre_fleet),
        None,
        "another agent's"
    );
    let default_fleet = tags(&["devicepool", "agent:a1", "fleet:default"]);
    assert_eq!(claim_reason(&owner, "a1", &default_fleet), None);
    let someone_else = tags(&["agent:a1", "nightly"]);
    assert_eq!(claim_reason(&owner, "a1", &someone_else), None);
}

#[test]
fn with_a_key_the_owner_tag_without_a_valid_mac_claims() {
    let key = Secret::new("0123456789abcdef0123");
    let owner = Ownership::new(DEFAULT_FLEET, Some(&key));
    assert!(looks_for_claims(&owner));
    let unproven = tags(&["devicepool", "agent:a1", "fleet:default"]);
    assert!(claim_reason(&owner, "a1", &unproven).is_some());
    let unkeyed_default = Ownership::new(DEFAULT_FLEET, None);
    assert!(!looks_for_claims(&unkeyed_default));
}
