//! The rule for values that become labels, tags or worker ids (UDIDs, MAAS and runner tags):
//! not empty, no comma, no whitespace, no control character. A value breaking it would be
//! split or mangled on its way out and never be recognised as ours. No I/O.

use super::validate::Problem;

/// Why `value` cannot be a label or tag, or `None` when it can.
pub fn identifier_flaw(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if value.contains(',') {
        Some("holds a comma")
    } else if value.chars().any(char::is_whitespace) {
        Some("holds whitespace")
    } else if value.chars().any(char::is_control) {
        Some("holds a control character")
    } else {
        None
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
        if let Some(flaw) = identifier_flaw(value) {
            problems.push(Problem::at(
                format!("{pointer}/{i}"),
                format!("{value:?} {flaw} ({why})"),
            ));
        }
    }
}

#[cfg(test)]
#[path = "identifiers_tests.rs"]
mod tests;
