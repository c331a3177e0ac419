//! Results as big as the real server's: with `set_result_log_bytes`, each reported phase of a
//! result carries a `<phase>_output` and a `<phase>_serial` of that many bytes (the `ResultGet`
//! schema in tests/upstream/testflinger/openapi-excerpt.json; 9.7 to 10.5 MB per result seen
//! in production). It only fills logs: it changes no status, state or `device_info`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::testflinger::{SimTestflingerJob, TestflingerSim, lock};

impl TestflingerSim {
    /// From now on every result carries, for each phase it reports, a `<phase>_output` (the
    /// agent's log, grown with more lines) and a `<phase>_serial` (console lines with the
    /// quotes, backslashes and ANSI escapes real consoles print) of `bytes` bytes each (a longer
    /// log a test set is kept whole).
    pub fn set_result_log_bytes(&self, bytes: usize) {
        lock(&self.state).result_log_bytes = Some(bytes);
    }
}

/// The `<phase>_output` and `<phase>_serial` of `job`'s result, each `bytes` long.
pub(super) fn grown_logs(job: &SimTestflingerJob, bytes: usize) -> Map<String, Value> {
    let phases: BTreeSet<&String> = job
        .phase_status
        .keys()
        .chain(job.phase_output.keys())
        .collect();
    let mut logs = Map::new();
    for phase in phases {
        let output = job.phase_output.get(phase).map_or("", String::as_str);
        let line = format!("{phase}: DEVICE CONNECTOR: still running, step done\n");
        logs.insert(
            format!("{phase}_output"),
            Value::String(grown(output, &line, bytes)),
        );
        let console = format!(
            "[  12.345678] {phase} \u{1b}[0;32m[  OK  ]\u{1b}[0m Started \"cloud-init\" \\ tty\tS0\n"
        );
        logs.insert(
            format!("{phase}_serial"),
            Value::String(grown("", &console, bytes)),
        );
    }
    logs
}

/// `start` followed by copies of `line` (ASCII), cut to exactly `bytes` bytes; `start` alone
/// when it is that long already (a log a test set is never cut).
fn grown(start: &str, line: &str, bytes: usize) -> String {
    let mut log = String::with_capacity(bytes.max(start.len()) + line.len());
    log.push_str(start);
    if log.len() >= bytes {
        return log;
    }
    while log.len() < bytes {
        log.push_str(line);
    }
    log.truncate(bytes);
    log
}
