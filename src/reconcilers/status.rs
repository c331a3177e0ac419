//! Whether an entry was planned ([`PoolStatus`]), the reasons every kind gives when it is not
//! (a source failed, switched off), the head line of its text, and the plan's own word for a
//! state. Shared by every kind; pure.

use std::fmt::Write;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clients::http::ApiError;

/// Whether a pool, rack or runner pool was planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "state", deny_unknown_fields)]
pub enum PoolStatus {
    /// Planned from fresh data.
    Planned,
    /// Not planned: a source it depends on failed, or its job file could not be rendered.
    Held { reason: String },
    /// Switched off in the desired state.
    Disabled,
}

/// The word the plan file uses for a state or reason (`not_waiting`, `left_alone`, …), so
/// that text output says what the JSON says.
pub fn word_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Writes the head line of an entry; false when there is nothing more to say (held or
/// disabled).
pub(crate) fn write_status_line(
    out: &mut String,
    head: &str,
    status: &PoolStatus,
    summary: &str,
) -> bool {
    match status {
        PoolStatus::Held { reason } => {
            let _ = writeln!(out, "{head}: HELD, nothing planned\n  {reason}");
            false
        }
        PoolStatus::Disabled => {
            let _ = writeln!(out, "{head}: disabled");
            false
        }
        PoolStatus::Planned => {
            let _ = writeln!(out, "{head}: {summary}");
            true
        }
    }
}

/// Names the schedule period in effect under an entry's status line, whatever the status.
pub(crate) fn write_schedule_line(out: &mut String, schedule: Option<&str>) {
    if let Some(schedule) = schedule {
        let _ = writeln!(out, "  {schedule} (in effect)");
    }
}

/// A pool or rack not planned because its data is missing: held, naming every source that
/// failed (each once), so one failure does not hide another until the next run.
pub(crate) fn unplanned(failures: &[Option<&ApiError>]) -> (PoolStatus, String) {
    let mut distinct: Vec<&ApiError> = Vec::new();
    for failure in failures.iter().flatten() {
        if !distinct.contains(failure) {
            distinct.push(failure);
        }
    }
    let shown: Vec<String> = distinct.iter().map(ToString::to_string).collect();
    let reason = match shown.as_slice() {
        [] => "source not read".to_string(),
        [one] => format!("source failed: {one}"),
        many => format!("{} sources failed: {}", many.len(), many.join("; ")),
    };
    (
        PoolStatus::Held {
            reason: reason.clone(),
        },
        reason,
    )
}

/// A pool or rack switched off in the desired state.
pub(crate) fn disabled() -> (PoolStatus, String) {
    (PoolStatus::Disabled, "disabled in the desired state".into())
}

/// Holds a pool or rack whose `what` could not be rendered.
pub(crate) fn hold(
    status: &mut PoolStatus,
    reason: &mut String,
    what: &str,
    error: &crate::render::RenderError,
) {
    *reason = format!("cannot render {what}: {error}");
    *status = PoolStatus::Held {
        reason: reason.clone(),
    };
}
