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

#[test]
fn the_spec_tags_stay_out_of_the_history_search_and_the_look_alike_judgement() {
    let key = Secret::new("0123456789abcdef0123");
    for owner in [
        Ownership::new(DEFAULT_FLEET, None),
        Ownership::new("lab", None),
        Ownership::new(DEFAULT_FLEET, Some(&key)),
    ] {
        let plain = job_tags(&owner, "r", "a1", None);
        let specced = job_tags(&owner, "r", "a1", Some("0123456789ab"));
        // The same tags, then the spec and its marker: the MAC marks do not depend on it.
        assert_eq!(specced[..plain.len()], plain[..]);
        assert_eq!(
            specced[plain.len()..],
            tags(&["spec:0123456789ab", "spec-marked"])[..]
        );
        // Every generation's deploys are in the history: its search never names a spec.
        let history = history_tags(&owner, "r", "a1");
        assert!(history.iter().all(|t| specced.contains(t)), "{history:?}");
        assert!(
            !history.iter().any(|t| t.starts_with("spec")),
            "{history:?}"
        );
        // The spec changes no claim judgement, of our own tags or of a look-alike's.
        assert_eq!(
            claim_reason(&owner, "a1", &specced),
            claim_reason(&owner, "a1", &plain)
        );
        let mut forged = tags(&["devicepool", "agent:a1", "spec:0123456789ab"]);
        forged.push(SPEC_MARKED_TAG.to_string());
        let unspecced = &forged[..2];
        assert_eq!(
            claim_reason(&owner, "a1", &forged),
            claim_reason(&owner, "a1", unspecced)
        );
    }
}

#[test]
fn the_spec_searches_name_the_rack_and_the_spec_or_its_marker() {
    let owner = Ownership::new("lab", None);
    let [current, marked] = spec_search_tags(&owner, "r", "0123456789ab");
    assert_eq!(
        current,
        tags(&["devicepool-fleet:lab", "rack:r", "spec:0123456789ab"])
    );
    assert_eq!(
        marked,
        tags(&["devicepool-fleet:lab", "rack:r", "spec-marked"])
    );
}
