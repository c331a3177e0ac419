//! Foreign text made safe for a terminal: control characters (escape sequences, carriage
//! returns, newlines, line and paragraph separators) and invisible characters (bidi,
//! zero-width and other format marks) taken from API bodies, snapshots or saved plans
//! are shown escaped (`\u{1b}`, `\n`) in text output, so they can neither drive the terminal
//! nor fake a line. Text without them passes unchanged. JSON output is never escaped here.

use std::borrow::Cow;

use crate::apply::ApplyReport;
use crate::plan::Plan;

/// Whether `c` must not reach a terminal as it is: a control character, one the desired
/// state refuses as invisible (every format character, bidi controls and the Arabic letter
/// mark included, and the other default-ignorable ones), or a line or paragraph separator.
pub(super) fn is_unsafe(c: char) -> bool {
    // ASCII first: no ASCII character is invisible or a separator, and the Unicode category
    // table is costly to search for every character of a 60,000-device page.
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control() || crate::load::is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `text` with every unsafe character escaped; newlines too, unless `keep_newlines` (a
/// multi-line value printed line by line).
pub(crate) fn escape_text(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let escaped = |c: char| is_unsafe(c) && !(keep_newlines && c == '\n');
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Escapes `text` where it stands; whether anything changed.
fn escape_in_place(text: &mut String, keep_newlines: bool) -> bool {
    match escape_text(text, keep_newlines) {
        Cow::Owned(escaped) => {
            *text = escaped;
            true
        }
        Cow::Borrowed(_) => false,
    }
}

/// Every string of `value`, escaped; whether any changed.
fn escape_json(value: &mut serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(s) => escape_in_place(s, false),
        Value::Array(items) => items.iter_mut().fold(false, |any, v| escape_json(v) | any),
        Value::Object(fields) => fields
            .values_mut()
            .fold(false, |any, v| escape_json(v) | any),
        _ => false,
    }
}

/// A copy of `plan` for text output: every string escaped. The plan itself (JSON, `--out`)
/// keeps its bytes. `None` when it cannot be escaped (it does not round-trip through JSON):
/// it is then not shown as text at all, never shown raw.
pub(crate) fn escaped_plan(plan: &Plan) -> Option<Cow<'_, Plan>> {
    escaped_strings(plan)
}

/// `value` with every string escaped, through its JSON form; `None` if that fails either way.
fn escaped_strings<T>(value: &T) -> Option<Cow<'_, T>>
where
    T: Clone + serde::Serialize + serde::de::DeserializeOwned,
{
    let mut json = serde_json::to_value(value).ok()?;
    if !escape_json(&mut json) {
        return Some(Cow::Borrowed(value));
    }
    serde_json::from_value(json).ok().map(Cow::Owned)
}

/// A copy of `report` for text output: every string its text shows, escaped (a CLI's output
/// keeps its lines).
pub(crate) fn escaped_report(report: &ApplyReport) -> ApplyReport {
    let mut report = report.clone();
    for action in &mut report.actions {
        let optional = [
            &mut action.job_id,
            &mut action.container_id,
            &mut action.note,
        ];
        let one_line = [&mut action.pool, &mut action.target]
            .into_iter()
            .chain(optional.into_iter().flatten());
        for text in one_line {
            escape_in_place(text, false);
        }
        if let Some(error) = &mut action.error {
            escape_in_place(&mut error.message, false);
        }
        if let Some(output) = &mut action.output {
            escape_in_place(output, true);
        }
    }
    for held in &mut report.held {
        escape_in_place(&mut held.pool, false);
        escape_in_place(&mut held.reason, false);
    }
    for broken in report.verified.iter_mut().flatten() {
        escape_in_place(&mut broken.pool, false);
        escape_in_place(&mut broken.problem, false);
    }
    for note in &mut report.verify_notes {
        escape_in_place(&mut note.pool, false);
        escape_in_place(&mut note.note, false);
    }
    report
}

#[cfg(test)]
#[path = "escape_tests.rs"]
mod tests;
