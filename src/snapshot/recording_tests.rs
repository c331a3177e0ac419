//! Unit tests of `snapshot/recording.rs`.

use super::*;

#[test]
fn another_format_is_refused_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    std::fs::write(&path, r#"{"format": 7}"#).unwrap();
    let error = format!("{:#}", Recording::read(&path).unwrap_err());
    assert!(error.contains("snapshot format 7"), "{error}");
    assert!(error.contains("reads format 1"), "{error}");
}

#[test]
fn a_recorded_failure_replays_as_its_message_alone() {
    let error = to_result::<u8>(Reading::Failed("taskcluster: GET x: HTTP 500".into()));
    assert_eq!(
        error.unwrap_err().to_string(),
        "taskcluster: GET x: HTTP 500"
    );
}

#[test]
fn a_reading_made_with_other_selectors_is_held_and_the_same_ones_kept() {
    let mut map: BTreeMap<String, Result<u8, ApiError>> =
        [("a".to_string(), Ok(1)), ("b".to_string(), Ok(2))].into();
    let recorded = [
        ("a".to_string(), vec!["rack-a".to_string()]),
        ("b".to_string(), vec!["rack-b".to_string()]),
    ]
    .into();
    let now = [
        ("a".to_string(), vec!["rack-z".to_string()]),
        ("b".to_string(), vec!["rack-b".to_string()]),
    ]
    .into();
    hold_reselected(&mut map, &recorded, &now, "maas_tags");
    let held = map["a"].as_ref().unwrap_err().to_string();
    assert_eq!(
        held,
        "read with other maas_tags (rack-a) in the recorded snapshot"
    );
    assert_eq!(map["b"].as_ref().ok(), Some(&2));
}
