//! Unit tests of `report/escape.rs`.

use super::*;

#[test]
fn control_characters_are_escaped_and_plain_text_is_not() {
    assert!(matches!(
        escape_text("R5CX1 ü – ok", false),
        Cow::Borrowed(_)
    ));
    assert_eq!(
        escape_text("a\u{1b}[2Jb\nc\rd\u{7}", false),
        "a\\u{1b}[2Jb\\nc\\rd\\u{7}"
    );
    assert_eq!(escape_text("one\ntwo\u{1b}", true), "one\ntwo\\u{1b}");
    assert_eq!(escape_text("x\u{202e}y", false), "x\\u{202e}y");
}

#[test]
fn line_separators_and_every_invisible_character_are_escaped() {
    for c in [
        '\u{61c}', '\u{2028}', '\u{2029}', '\u{200b}', '\u{2066}', '\u{feff}', '\u{ad}',
    ] {
        let text = format!("a{c}b");
        let escaped = escape_text(&text, false);
        assert!(!escaped.contains(c), "{c:?} passed: {escaped:?}");
        assert_eq!(escaped, format!("a{}b", c.escape_default()));
    }
}

/// A value whose strings do not come back once escaped (a backslash is refused).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
struct Strict(String);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.contains('\\') {
            return Err(serde::de::Error::custom("a backslash"));
        }
        Ok(Strict(text))
    }
}

#[test]
fn a_value_that_cannot_be_escaped_is_not_given_back_raw() {
    let plain = Strict("ok".to_string());
    assert!(matches!(escaped_strings(&plain), Some(Cow::Borrowed(_))));
    let hostile = Strict("\u{1b}]0;pwned\u{7}".to_string());
    assert_eq!(escaped_strings(&hostile), None, "fails closed");
}
