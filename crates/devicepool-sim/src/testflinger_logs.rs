//! Results as big as the real server's: with `set_result_log_bytes`, each reported phase of a
//! result carries a `<phase>_output` and a `<phase>_serial` of about that many bytes (the
//! `ResultGet` schema in tests/upstream/testflinger/openapi-excerpt.json; 9.7 to 10.5 MB per
//! result seen in production). It only fills logs: it changes no status, state or `device_info`.

use std::collections::BTreeSet;

use super::testflinger::{SimTestflingerJob, TestflingerSim, lock};

impl TestflingerSim {
    /// From now on every result carries, for each phase it reports, a `<phase>_output` (the
    /// agent's log, grown with more lines) and a `<phase>_serial` (console lines with the
    /// quotes, backslashes and ANSI escapes real consoles print), each `bytes` long or a
    /// part of a line more (a longer log a test set is kept whole).
    pub fn set_result_log_bytes(&self, bytes: usize) {
        lock(&self.state).result_log_bytes = Some(bytes);
    }
}

/// Appends to `body`, the JSON text of a result object, the `<phase>_output` and
/// `<phase>_serial` of each of `job`'s phases, `bytes` long each. Written as JSON text: each
/// line is escaped once and repeated, so ten 10 MB results cost copies, not an escape per
/// character (the fake must not slow the runs it serves).
pub(super) fn append_grown_logs(body: &mut Vec<u8>, job: &SimTestflingerJob, bytes: usize) {
    let phases: BTreeSet<&String> = job
        .phase_status
        .keys()
        .chain(job.phase_output.keys())
        .collect();
    let closing = body.pop();
    debug_assert_eq!(closing, Some(b'}'), "a JSON object");
    for phase in phases {
        let output = job.phase_output.get(phase).map_or("", String::as_str);
        let line = format!("{phase}: DEVICE CONNECTOR: still running, step done\n");
        append_member(body, &format!("{phase}_output"), output, &line, bytes);
        let console = format!(
            "[  12.345678] {phase} \u{1b}[0;32m[  OK  ]\u{1b}[0m Started \"cloud-init\" \\ tty\tS0\n"
        );
        append_member(body, &format!("{phase}_serial"), "", &console, bytes);
    }
    body.push(b'}');
}

/// Appends `,"key":"<start, then copies of line up to bytes>"` (the comma only after a member).
fn append_member(body: &mut Vec<u8>, key: &str, start: &str, line: &str, bytes: usize) {
    if body.last() != Some(&b'{') {
        body.push(b',');
    }
    body.extend_from_slice(escaped(key).as_bytes());
    body.push(b':');
    body.push(b'"');
    body.extend_from_slice(inner(&escaped(start)).as_bytes());
    let copies = bytes.saturating_sub(start.len()).div_ceil(line.len());
    body.extend_from_slice(inner(&escaped(line)).repeat(copies).as_bytes());
    body.push(b'"');
}

/// `text` as a JSON string literal, quotes included.
fn escaped(text: &str) -> String {
    serde_json::Value::String(text.into()).to_string()
}

/// A JSON string literal without its quotes.
fn inner(literal: &str) -> &str {
    &literal[1..literal.len() - 1]
}
