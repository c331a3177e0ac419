//! The rule for values that become labels, tags or worker ids (UDIDs, MAAS and runner tags):
//! not empty, no comma, no whitespace, no control character. A value breaking it would be
//! split or mangled on its way out and never be recognised as ours. No I/O.

use super::model::Desired;
use super::tree::escape;
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

/// Every list of identifiers in the desired state, checked item by item.
pub(super) fn check_identifiers(problems: &mut Vec<Problem>, desired: &Desired) {
    let mut lists: Vec<(String, &[String], &str)> = Vec::new();
    for (name, pool) in &desired.device_pools {
        lists.push((
            format!("/device_pools/{}/devices", escape(name)),
            &pool.devices,
            "a UDID becomes a job label (labels are comma-separated) and a worker id",
        ));
    }
    for (name, rack) in &desired.racks {
        lists.push((
            format!("/racks/{}/maas_tags", escape(name)),
            &rack.maas_tags,
            "a MAAS tag is matched whole",
        ));
    }
    for (name, pool) in &desired.runner_pools {
        lists.push((
            format!("/runner_pools/{}/tags", escape(name)),
            &pool.tags,
            "runner tags are sent to GitLab comma-separated",
        ));
    }
    for (pointer, values, why) in lists {
        for (i, value) in values.iter().enumerate() {
            if let Some(flaw) = identifier_flaw(value) {
                problems.push(Problem::at(
                    format!("{pointer}/{i}"),
                    format!("{value:?} {flaw} ({why})"),
                ));
            }
        }
    }
}

#[cfg(test)]
#[path = "identifiers_tests.rs"]
mod tests;
