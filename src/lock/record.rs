//! What a distributed lease carries besides "taken": who holds it (host, pid, start, version)
//! and the run record (when the last mutation was sent, until when it may still land, when
//! the last run succeeded), so the kill -9 wait and the last success work from any host.
//! Plain data and its JSON; no I/O.

use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Who holds (or last held) the lease.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub host: String,
    pub pid: u32,
    pub started_at: Timestamp,
    /// devicepool's version.
    pub version: String,
}

impl Holder {
    /// This process.
    pub fn this_process() -> Holder {
        Holder {
            host: super::this_host(),
            pid: std::process::id(),
            started_at: Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or(Timestamp::now()),
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }

    /// One line for messages, as the file lock names its holder.
    pub fn describe(&self) -> String {
        format!(
            "host {}, pid {}, since {} (devicepool {})",
            self.host, self.pid, self.started_at, self.version
        )
    }
}

/// The run record kept with the lease, across holders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Who wrote it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<Holder>,
    /// When that holder last sent a mutation (or started a launch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_mutation_at: Option<Timestamp>,
    /// Until when a mutation of a run that did not finish may still land; cleared when the
    /// run ends. A run taking over waits until then before it reads the fleet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight_until: Option<Timestamp>,
    /// When an apply last ended with exit 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success_at: Option<Timestamp>,
}

impl RunRecord {
    /// The record as stored. Never fails: it is plain data.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored record; an unreadable one (another tool wrote the key) counts as empty, but
    /// is logged.
    pub fn parse(text: &str) -> RunRecord {
        serde_json::from_str(text).unwrap_or_else(|e| {
            tracing::warn!("the lease's run record is not devicepool's ({e}); ignoring it");
            RunRecord::default()
        })
    }

    /// How long a run taking over at `now` waits for the previous holder's mutations to land.
    pub fn settle_wait(&self, now: Timestamp) -> Duration {
        self.in_flight_until
            .and_then(|until| Duration::try_from(until.duration_since(now)).ok())
            .unwrap_or(Duration::ZERO)
    }
}

#[cfg(test)]
#[path = "record_tests.rs"]
mod tests;
