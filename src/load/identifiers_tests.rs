//! Unit tests of `load/identifiers.rs`.

use super::{identifier_flaw, text_flaw};

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

#[test]
fn invisible_characters_are_refused_where_visible_ones_pass() {
    let invisible = [
        '\u{200B}',
        '\u{200C}',
        '\u{200D}',
        '\u{200E}',
        '\u{200F}',
        '\u{202A}',
        '\u{202E}',
        '\u{2060}',
        '\u{2066}',
        '\u{2069}',
        '\u{FEFF}',
        '\u{061C}',
        '\u{00AD}',
        '\u{180E}',
        '\u{E0041}',
        '\u{FE0F}',
        '\u{3164}',
    ];
    for c in invisible {
        let value = format!("R5CX{c}1A2B");
        let flaw = identifier_flaw(&value).unwrap_or_else(|| panic!("{c:?} passed"));
        assert!(
            flaw.starts_with("holds an invisible character"),
            "{c:?}: {flaw}"
        );
        assert_eq!(text_flaw(&value), Some(flaw), "{c:?}");
    }
    for visible in ["Galaxy A55*", "Ünïcødé-név", "設備-1", "17.*"] {
        assert_eq!(text_flaw(visible), None, "{visible}");
    }
    assert_eq!(text_flaw(""), Some("is empty"));
    assert_eq!(identifier_flaw("設備-1"), None);
}
