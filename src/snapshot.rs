//! SNAPSHOT: what the world looked like when a run read it. Plain data, filled by `sources`,
//! read by `plan`; no I/O and no decisions here. A source that failed is kept as its error,
//! so "unknown" can never be mistaken for "zero".

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::sources::http::ApiError;

/// Everything one run read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// When the reading started.
    pub taken_at: Timestamp,
    /// Per Taskcluster task queue: counts and quarantined workers.
    pub queues: BTreeMap<String, Result<QueueState, ApiError>>,
    /// LambdaTest devices and recent jobs (one reading shared by all device pools).
    pub lambdatest: Result<LambdatestState, ApiError>,
}

/// One Taskcluster task queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueState {
    pub pending: u64,
    pub claimed: u64,
    /// Workers listed as quarantined, with the time the quarantine ends.
    pub quarantined: BTreeMap<String, Option<Timestamp>>,
}

/// The LambdaTest organisation as seen through its APIs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LambdatestState {
    /// Private-cloud devices by UDID.
    pub devices: BTreeMap<String, Device>,
    /// Jobs of the whole organisation inside the job window, newest first.
    pub jobs: Vec<Job>,
}

/// A real device in LambdaTest's private cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub name: String,
    /// `active` means idle and available; anything else is unavailable.
    pub status: String,
}

/// A HyperExecute job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub job_number: u64,
    pub status: String,
    /// The job's labels, parsed from the JSON-encoded `job_label`; `None` when absent or not
    /// a JSON list of strings.
    pub labels: Option<Vec<String>>,
    pub created_at: Option<Timestamp>,
}

impl Job {
    /// HyperExecute statuses of a job that still holds or waits for a device.
    pub fn is_active(&self) -> bool {
        matches!(self.status.as_str(), "initiated" | "running")
    }

    /// Statuses after which a job will never hold a device again.
    pub fn has_ended(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed"
                | "failed"
                | "aborted"
                | "timeout"
                | "lambda_error"
                | "cancelled"
                | "error"
                | "passed"
                | "skipped"
                | "stopped"
                | "ignored"
                | "muted"
        )
    }
}
