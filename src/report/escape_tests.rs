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
