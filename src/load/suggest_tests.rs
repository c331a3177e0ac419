use super::*;

#[test]
fn closest_finds_a_typo_and_a_swap_but_not_a_stranger() {
    let known = ["settings", "sources", "device_pools", "version"];
    assert_eq!(closest("settinsg", known.into_iter()), Some("settings"));
    assert_eq!(
        closest("device_pool", known.into_iter()),
        Some("device_pools")
    );
    assert_eq!(closest("colour", known.into_iter()), None);
    assert_eq!(closest("x", ["y"].into_iter()), Some("y"));
    assert_eq!(closest("ab", ["xy"].into_iter()), None);
}

#[test]
fn edit_distance_counts_edits() {
    assert_eq!(edit_distance("", "abc"), 3);
    assert_eq!(edit_distance("prioity", "priority"), 1);
    assert_eq!(edit_distance("ab", "ba"), 1);
    assert_eq!(edit_distance("kitten", "sitting"), 3);
}

#[test]
fn not_in_enum_lists_the_options() {
    let options = serde_json::json!(["a", "b", 3]);
    assert_eq!(
        not_in_enum(&serde_json::json!("c"), &options).as_deref(),
        Some("c is not allowed; one of: a, b, 3")
    );
    assert_eq!(
        not_in_enum(&serde_json::json!("c"), &serde_json::json!({})),
        None
    );
}
