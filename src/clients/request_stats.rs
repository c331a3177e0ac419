//! How many HTTP requests each API got in this process, how many failed and how long they took:
//! the figures `--metrics-file` reports per API. Holds only the API's static name and numbers,
//! never a URL, header or body, so nothing it keeps can carry a secret.
//!
//! One process-wide registry rather than a handle passed in: readers and writers are built in a
//! dozen places (the snapshot, every kind's execute, the Docker and Testflinger clients), a run
//! is one command in one process, and the only consumer reads it once at the end. Threading an
//! `Arc` through every constructor would touch each of those places to carry the same numbers.
//! Unit tests that send requests add to it too; only the binary reads it.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Requests sent to one API.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ApiStats {
    /// Attempts sent (each retry is one more).
    pub requests: u64,
    /// Attempts that got no answer or an unreadable, oversized or undecodable body (a 200 that
    /// does not match the API's schema), reads answered with a status other than 2xx, and mutations answered with 400 or more (a 404 an executor takes
    /// for "already gone" included: the API still said no).
    pub errors: u64,
    /// Time spent on all of them, body reading included.
    pub seconds: f64,
}

static STATS: Mutex<BTreeMap<&'static str, ApiStats>> = Mutex::new(BTreeMap::new());

/// Counts one attempt to `api` that took `elapsed`.
pub fn record(api: &'static str, elapsed: Duration, failed: bool) {
    let mut stats = STATS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let entry = stats.entry(api).or_default();
    entry.requests += 1;
    entry.errors += u64::from(failed);
    entry.seconds += elapsed.as_secs_f64();
}

/// Counts an answered attempt to `api` whose 2xx body did not decode as the API's schema as
/// failed too: `record` saw only the status and counted it a success.
pub fn record_undecodable(api: &'static str) {
    let mut stats = STATS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    stats.entry(api).or_default().errors += 1;
}

/// The figures so far, by API name.
pub fn snapshot() -> BTreeMap<&'static str, ApiStats> {
    STATS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .clone()
}

/// Whether a mutation's answered status counts as an error.
pub(crate) fn failed_status(status: u16) -> bool {
    status >= 400
}
