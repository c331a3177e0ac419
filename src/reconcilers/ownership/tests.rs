//! Unit tests of ownership verdicts: unmarked, other-fleet, look-alike and valid-MAC objects,
//! and the markers read from labels. Pure; fixed test keys only.

use super::*;

fn keyed<'a>(fleet: &'a str, key: &'a Secret) -> Ownership<'a> {
    Ownership {
        fleet,
        key: Some(key),
    }
}

fn plain(fleet: &str) -> Ownership<'_> {
    Ownership { fleet, key: None }
}

fn marks<'a>(fleet: Option<&'a str>, mac: Option<&'a str>) -> Marks<'a> {
    Marks {
        fleet,
        mac,
        spec: None,
    }
}

#[test]
fn unmarked_objects_are_the_default_fleets_only_without_a_key_and_look_alikes_otherwise() {
    let key = Secret::new("0123456789abcdef0123");
    let none = Marks::default();
    assert_eq!(
        plain("default").judge(none, Object::Job, "a55", "U1"),
        Verdict::Ours
    );
    assert_eq!(
        plain("lab-b").judge(none, Object::Job, "a55", "U1"),
        Verdict::LookAlike(PRE_FLEET),
        "a named fleet lists what was made before fleets and leaves it alone"
    );
    let verdict = keyed("default", &key).judge(none, Object::Job, "a55", "U1");
    assert!(matches!(verdict, Verdict::LookAlike(_)), "{verdict:?}");
    assert!(plain("default").takes_unmarked());
    assert!(!keyed("default", &key).takes_unmarked());
}

#[test]
fn another_fleets_objects_are_never_ours() {
    let ours = plain("lab-a");
    let theirs = marks(Some("lab-b"), None);
    assert_eq!(
        ours.judge(theirs, Object::Runner, "ci", "x"),
        Verdict::OtherFleet
    );
    assert_eq!(
        ours.judge(marks(Some("lab-a"), None), Object::Runner, "ci", "x"),
        Verdict::Ours
    );
}

#[test]
fn a_mac_validates_only_for_the_fleet_kind_pool_and_identity_it_was_made_for() {
    let key = Secret::new("0123456789abcdef0123");
    let owner = keyed("lab-a", &key);
    let mac = owner.mac(Object::Container, "ci", "17").unwrap();
    assert_eq!(mac.len(), 16);
    assert!(mac.bytes().all(|b| b.is_ascii_hexdigit()));
    let carried = marks(Some("lab-a"), Some(&mac));
    assert_eq!(
        owner.judge(carried, Object::Container, "ci", "17"),
        Verdict::Ours
    );
    for (object, pool, identity) in [
        (Object::Container, "ci", "18"),
        (Object::Container, "cd", "17"),
        (Object::Runner, "ci", "17"),
    ] {
        let verdict = owner.judge(carried, object, pool, identity);
        assert!(matches!(verdict, Verdict::LookAlike(_)), "{verdict:?}");
    }
    let other_key = Secret::new("another key of twenty");
    let verdict = keyed("lab-a", &other_key).judge(carried, Object::Container, "ci", "17");
    assert!(matches!(verdict, Verdict::LookAlike(_)), "{verdict:?}");
    let verdict = owner.judge(marks(Some("lab-a"), None), Object::Container, "ci", "17");
    assert!(matches!(verdict, Verdict::LookAlike(_)), "{verdict:?}");
}

#[test]
fn new_objects_carry_the_fleet_and_with_a_key_the_mac() {
    assert_eq!(
        plain("lab-a").marks(Object::Job, "a55", "U1"),
        ["fleet:lab-a"]
    );
    let key = Secret::new("0123456789abcdef0123");
    let owner = keyed("lab-a", &key);
    let words = owner.marks(Object::Job, "a55", "U1");
    assert_eq!(words.len(), 2);
    let read = Ownership::read_marks(words.iter().map(String::as_str)).unwrap();
    assert_eq!(owner.judge(read, Object::Job, "a55", "U1"), Verdict::Ours);
}

#[test]
fn reading_marks_refuses_unknown_words_and_repeated_markers() {
    let read = |words: &[&'static str]| Ownership::read_marks(words.iter().copied());
    assert!(read(&["mac:1", "fleet:a"]).is_some());
    assert!(read(&["other"]).is_none());
    assert!(read(&["fleet:a", "fleet:b"]).is_none());
    assert!(read(&["mac:1", "mac:1"]).is_none());
    let with_spec = read(&["fleet:a", "spec:0123456789ab"]).unwrap();
    assert_eq!(with_spec.spec, Some("0123456789ab"));
    assert!(read(&["spec:1", "spec:2"]).is_none());
}

#[test]
fn a_key_fingerprint_tells_keys_apart_and_never_shows_the_key() {
    let (one, two) = (
        Secret::new("0123456789abcdef0123"),
        Secret::new("0123456789abcdef0124"),
    );
    let print = |key| keyed("lab-a", key).judged_for().key_fingerprint.unwrap();
    assert_eq!(print(&one).len(), 8);
    assert!(print(&one).bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(print(&one), print(&two));
    assert_eq!(print(&one), print(&one));
    assert!(!"0123456789abcdef0123".contains(print(&one).as_str()));
    assert_eq!(plain("lab-a").judged_for().key_fingerprint, None);
    assert_eq!(plain("lab-a").judged_for().fleet, "lab-a");
}
