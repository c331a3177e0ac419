//! What a run carries on from the metrics it replaces (a file's or a Pushgateway group's):
//! the last success, the last completed run and each pool's held runs in a row. Reads only
//! well-formed samples of those series; writes nothing.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::labels;
use crate::report::exposition;

/// What the file being replaced says that a run carries on: the last success and how many
/// runs in a row each pool has been held.
#[derive(Debug, Default, PartialEq)]
pub struct Previous {
    pub last_success: Option<i64>,
    /// When the last run that handled every pool it could (exit 0, 2 or 4) ended.
    pub last_completed: Option<i64>,
    /// By label set, as this module writes it (`{partition="all",kind="rack",pool="r1"}`).
    pub held_runs: BTreeMap<String, u64>,
}

pub(super) const LAST_SUCCESS: &str = "devicepool_last_success_timestamp_seconds";
pub(super) const LAST_COMPLETED: &str = "devicepool_last_completed_run_timestamp_seconds";
pub(super) const HELD_RUNS: &str = "devicepool_pool_held_runs";

/// Reads the carried-on figures back from a metrics file this function's twin wrote; only
/// well-formed sample lines of its own series count, so a damaged line is dropped, not
/// copied into the next file.
pub fn previous(text: &str) -> Previous {
    let mut previous = Previous::default();
    for sample in text.lines().filter_map(exposition::parse_sample) {
        if sample.name == LAST_SUCCESS && sample.value.is_finite() {
            previous.last_success = Some(sample.value as i64);
        } else if sample.name == LAST_COMPLETED && sample.value.is_finite() {
            previous.last_completed = Some(sample.value as i64);
        } else if sample.name == HELD_RUNS
            && sample.value >= 0.0
            && sample.value.fract() == 0.0
            && let Some(set) = pool_label_set(&sample.pairs)
        {
            previous.held_runs.insert(set, sample.value as _);
        }
    }
    previous
}

/// The series a run carries on from the previous one: what `previous` reads.
pub const CARRIED: [&str; 3] = [LAST_SUCCESS, LAST_COMPLETED, HELD_RUNS];

/// Reads the carried-on figures back from what the previous push left in a Pushgateway
/// group: its grouping labels (`job`, `fleet`, `instance`) dropped, each sample is checked
/// as a line of the file would be.
pub fn previous_pushed(samples: &[crate::clients::pushgateway::Sample]) -> Previous {
    const GROUPING: [&str; 3] = ["job", "fleet", "instance"];
    let mut text = String::new();
    for sample in samples {
        let pairs: Vec<(&str, &str)> = (sample.labels.iter())
            .filter(|(name, _)| !GROUPING.contains(&name.as_str()))
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let _ = writeln!(text, "{}{} {}", sample.name, labels(&pairs), sample.value);
    }
    previous(&text)
}

/// The label set of a pool's series as this module writes it, from `pairs` read back: they
/// must be exactly `partition`, `kind` and `pool`, each once (in any order); `None` otherwise
/// (a duplicate or missing or foreign label, which node_exporter would refuse or this
/// module would not write).
fn pool_label_set(pairs: &[(&str, String)]) -> Option<String> {
    const NAMES: [&str; 3] = ["partition", "kind", "pool"];
    if pairs.len() != NAMES.len() {
        return None;
    }
    let value_of = |name: &str| {
        let mut found = pairs.iter().filter(|(n, _)| *n == name);
        let (_, value) = found.next()?;
        found.next().is_none().then_some(value.as_str())
    };
    let values = NAMES.map(value_of);
    let [Some(partition), Some(kind), Some(pool)] = values else {
        return None;
    };
    Some(labels(&[
        ("partition", partition),
        ("kind", kind),
        ("pool", pool),
    ]))
}
