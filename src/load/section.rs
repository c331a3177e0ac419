//! The checks every kind's section of the desired state shares (`device_pools`, `racks`,
//! `runner_pools`, `device_groups`), for each kind's `config.rs` to call from its
//! `check_section`: a plain entry name, the sources the section needs, identifier lists and
//! durations. Problems point at JSON pointers; `load` gives them file:line:col. No I/O.

use std::time::Duration;

pub(crate) use super::identifiers::{check_identifier, check_identifier_list, check_text};
pub(crate) use super::validate::Problem;
pub(crate) use super::values::check_duration;

/// Where a check reports a key of one entry: its JSON pointer, or `None` when the key is not
/// reported there (a schedule period reports only the keys it sets).
pub(crate) type KeyAt<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The JSON pointer of `key` in entry `name` of `section`, e.g. `/racks/rack-a/every`.
pub(crate) fn pointer(section: &str, name: &str, key: &str) -> String {
    format!("/{section}/{}/{key}", super::tree::escape(name))
}

/// Every key of entry `name` of `section` reported at its own pointer (a [`KeyAt`]).
pub(crate) fn entry_keys(section: &str, name: &str) -> impl Fn(&str) -> Option<String> {
    let entry = pointer(section, name, "");
    move |key| Some(format!("{entry}{key}"))
}

/// Names end up in labels, tags, runner descriptions, container and file names: keep them
/// plain and at least one character long.
pub(crate) fn check_name(
    problems: &mut Vec<Problem>,
    section: &str,
    name: &str,
    what: &str,
    why: &str,
) {
    let message = if name.is_empty() {
        format!("{what} is empty ({why}); give the entry a name")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        format!("{what} may hold only letters, digits, '-', '_' and '.', not {name:?} ({why})")
    } else {
        return;
    };
    problems.push(Problem {
        pointer: format!("/{section}"),
        key_name: Some(name.to_string()),
        message,
    });
}

/// A section that has entries needs every source named in `present` to be configured.
pub(crate) fn require_sources(
    problems: &mut Vec<Problem>,
    section: &str,
    present: &[(&str, bool)],
) {
    for (source, is_present) in present {
        if !is_present {
            problems.push(Problem::at(
                "/sources",
                format!("{section} need sources.{source}"),
            ));
        }
    }
}

/// Refuses every duration of `durations` (key, value) past the longest one devicepool
/// accepts, each at the pointer `at` gives for its key.
pub(crate) fn check_durations(
    problems: &mut Vec<Problem>,
    at: KeyAt<'_>,
    durations: &[(&str, Option<Duration>)],
) {
    for (key, value) in durations {
        if let (Some(value), Some(pointer)) = (value, at(key)) {
            check_duration(problems, pointer, *value);
        }
    }
}
