use super::*;

fn device(name: &str, os: &str, version: &str) -> Device {
    Device {
        name: name.into(),
        os: os.into(),
        os_version: version.into(),
        status: "active".into(),
    }
}

#[test]
fn globs_match_runs_single_characters_and_nothing_else() {
    assert!(glob_matches("R5CX*", "R5CX123"));
    assert!(glob_matches("R5CX*", "R5CX"));
    assert!(!glob_matches("R5CX*", "R5C"));
    assert!(glob_matches("A55-0?", "A55-01"));
    assert!(!glob_matches("A55-0?", "A55-011"));
    assert!(glob_matches("*Galaxy*5G", "Samsung Galaxy A55 5G"));
    assert!(!glob_matches("*Galaxy*5G", "Samsung Galaxy A55 5G Pro"));
    assert!(glob_matches("17.*", "17.4.1"));
    assert!(glob_matches("*", ""));
    assert!(!glob_matches("a", ""));
    assert!(glob_matches("a*b*c", "aXbYbZc"));
}

#[test]
fn a_selector_needs_every_field_given_to_match() {
    let select = Selector {
        name: Some("Galaxy A55*".into()),
        os_version: Some("14".into()),
        ..Selector::default()
    };
    assert!(select.matches("X1", &device("Galaxy A55 5G", "android", "14")));
    assert!(!select.matches("X1", &device("Galaxy A55 5G", "android", "15")));
    assert!(!select.matches("X1", &device("Pixel 8", "android", "14")));
    let by_udid = Selector {
        udid: Some("R5*".into()),
        ..Selector::default()
    };
    assert!(by_udid.matches("R5CX1", &device("any", "ios", "17")));
    assert_eq!(by_udid.udid_only(), Some("R5*"));
    assert_eq!(select.udid_only(), None);
}
