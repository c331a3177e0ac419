//! The rules for values that become labels, tags, worker ids or file names (UDIDs, MAAS and
//! runner tags, client ids) and for the text devicepool matches or shows (selector patterns):
//! not empty, no control or invisible character, and for identifiers no comma or whitespace
//! either. A value breaking them would be split or mangled on its way out, never be
//! recognised as ours, or look like another. No I/O.

use unicode_general_category::{GeneralCategory, get_general_category};

use super::validate::Problem;

/// Why `value` cannot be a label or tag, or `None` when it can.
pub fn identifier_flaw(value: &str) -> Option<&'static str> {
    if value.contains(',') {
        Some("holds a comma")
    } else if value.chars().any(char::is_whitespace) {
        Some("holds whitespace")
    } else {
        text_flaw(value)
    }
}

/// Why `value` cannot be matched or shown as written, or `None` when it can: it is empty,
/// or holds a control or invisible character.
pub(crate) fn text_flaw(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if value.chars().any(char::is_control) {
        Some("holds a control character")
    } else if value.chars().any(is_invisible) {
        Some("holds an invisible character (zero-width, bidi control or other format character)")
    } else {
        None
    }
}

/// Characters that print as nothing, or reorder what follows, so two values that look the same
/// differ: every format character (Unicode category Cf: zero-width spaces and joiners, bidi
/// controls, the byte-order mark, the soft hyphen, ...) and the other default-ignorable ones
/// (fillers, variation selectors, the combining grapheme joiner).
pub(crate) fn is_invisible(c: char) -> bool {
    const IGNORABLE: [(char, char); 9] = [
        ('\u{034F}', '\u{034F}'),
        ('\u{115F}', '\u{1160}'),
        ('\u{17B4}', '\u{17B5}'),
        ('\u{180B}', '\u{180F}'),
        ('\u{2060}', '\u{206F}'),
        ('\u{3164}', '\u{3164}'),
        ('\u{FE00}', '\u{FE0F}'),
        ('\u{FFA0}', '\u{FFA0}'),
        ('\u{E0000}', '\u{E0FFF}'),
    ];
    get_general_category(c) == GeneralCategory::Format
        || IGNORABLE
            .iter()
            .any(|(first, last)| (*first..=*last).contains(&c))
}

/// One identifier at `pointer`; `why` says where it goes.
pub(crate) fn check_identifier(
    problems: &mut Vec<Problem>,
    pointer: String,
    value: &str,
    why: &str,
) {
    push_flaw(problems, pointer, value, why, identifier_flaw);
}

/// One piece of text at `pointer` that is matched or shown; `why` says where it goes.
pub(crate) fn check_text(problems: &mut Vec<Problem>, pointer: String, value: &str, why: &str) {
    push_flaw(problems, pointer, value, why, text_flaw);
}

/// The problem `flaw` finds in `value`, if any, at `pointer`.
fn push_flaw(
    problems: &mut Vec<Problem>,
    pointer: String,
    value: &str,
    why: &str,
    flaw: fn(&str) -> Option<&'static str>,
) {
    if let Some(flaw) = flaw(value) {
        problems.push(Problem::at(pointer, format!("{value:?} {flaw} ({why})")));
    }
}

/// A list of identifiers at `pointer`, checked item by item; `why` says where they go.
pub(crate) fn check_identifier_list(
    problems: &mut Vec<Problem>,
    pointer: &str,
    values: &[String],
    why: &str,
) {
    for (i, value) in values.iter().enumerate() {
        check_identifier(problems, format!("{pointer}/{i}"), value, why);
    }
}

#[cfg(test)]
#[path = "identifiers_tests.rs"]
mod tests;
