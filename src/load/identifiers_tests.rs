//! Unit tests of `load/identifiers.rs`.

use super::identifier_flaw;

#[test]
fn plain_names_pass_and_each_flaw_is_named() {
    for good in ["R5CX1A2B3C", "192.168.1.7:5555", "rack-a", "docker_v2"] {
        assert_eq!(identifier_flaw(good), None, "{good}");
    }
    assert_eq!(identifier_flaw(""), Some("is empty"));
    assert_eq!(identifier_flaw("A,B"), Some("holds a comma"));
    assert_eq!(identifier_flaw("A B"), Some("holds whitespace"));
    assert_eq!(identifier_flaw("A\nB"), Some("holds whitespace"));
    assert_eq!(
        identifier_flaw("A\u{0}B"),
        Some("holds a control character")
    );
}
