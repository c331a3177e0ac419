//! The checks every kind's section of the desired state shares (`device_pools`, `racks`,
//! `runner_pools`), for each kind's `config.rs` to call from its `check_section`: a plain entry
//! name, the sources the section needs, identifier lists and durations. Problems point at JSON
//! pointers; `load` gives them file:line:col. No I/O.

use std::time::Duration;

pub(crate) use super::identifiers::check_identifier_list;
pub(crate) use super::validate::Problem;
pub(crate) use super::values::check_duration;

/// The JSON pointer of `key` in entry `name` of `section`, e.g. `/racks/rack-a/every`.
pub(crate) fn pointer(section: &str, name: &str, key: &str) -> String {
    format!("/{section}/{}/{key}", super::tree::escape(name))
}

/// Names end up in labels, tags, runner descriptions and container names: keep them plain.
pub(crate) fn check_name(
    problems: &mut Vec<Problem>,
    section: &str,
    name: &str,
    what: &str,
    why: &str,
) {
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        problems.push(Problem {
            pointer: format!("/{section}"),
            key_name: Some(name.to_string()),
            message: format!("{what} may hold only letters, digits, '-', '_' and '.' ({why})"),
        });
    }
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

/// Refuses every duration of `durations` (key, value) of entry `name` past the longest one
/// devicepool accepts.
pub(crate) fn check_durations(
    problems: &mut Vec<Problem>,
    section: &str,
    name: &str,
    durations: &[(&str, Option<Duration>)],
) {
    for (key, value) in durations {
        if let Some(value) = value {
            check_duration(problems, pointer(section, name, key), *value);
        }
    }
}
