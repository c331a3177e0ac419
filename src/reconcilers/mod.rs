//! RECONCILERS: one folder per kind of thing devicepool keeps busy — device pools (Taskcluster
//! queues served by LambdaTest devices), racks (MAAS machines deployed through Testflinger) and
//! runner pools (GitLab runners in Docker containers). Each folder holds that kind's plan model,
//! what it reads (observe), its rules, re-check, render, execute, report text and naming
//! conventions. Shared code reaches a kind's plan only through [`KindPlan`]; nothing here reads
//! a clock.

pub mod device_pools;
pub mod racks;
pub mod record;
pub mod runner_pools;
pub(crate) mod selection;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clients::ReadCredentials;
use crate::clients::http::ApiError;
use crate::load::{Desired, Loaded};
use crate::lock::{RunLock, SendLog};
use crate::render::Templates;
use crate::secret::{Redactor, Secret};

/// What carrying out any kind's actions needs, set up once by `apply` at the edge.
pub struct Run<'a> {
    /// The checked desired state (and where its relative paths start).
    pub loaded: &'a Loaded,
    pub templates: &'a Templates,
    /// API credentials, as the snapshot used them.
    pub credentials: &'a ReadCredentials,
    /// Taskcluster access token per device pool.
    pub tokens: &'a BTreeMap<String, Secret>,
    pub redactor: &'a Redactor,
    /// Where job directories are made (`<state_dir>/jobs`).
    pub state_dir: &'a Path,
    /// The run lock, inherited by every launched CLI; absent only in the demo.
    pub lock: Option<&'a RunLock>,
    /// Every mutating request is recorded here while it may be on its way.
    pub sends: Option<SendLog>,
    /// The time a token exchange is judged against.
    pub now: Timestamp,
}

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

/// Which secret values a render may use: `Redacted` files (printed, saved in a plan) show every
/// known secret as `<redacted>`; `Real` ones are handed to what runs them, with the
/// Taskcluster access token of each device pool by name.
#[derive(Clone, Copy)]
pub enum Secrets<'a> {
    Redacted,
    Real(&'a std::collections::BTreeMap<String, crate::secret::Secret>),
}

/// What the shared code (counting, holding, the global budget, rendering, the text plan) asks
/// of one kind's entry in a plan. A new kind implements this and is listed in `Plan`.
pub trait KindPlan {
    /// Which reconciler the entry belongs to.
    fn kind(&self) -> record::Kind;
    /// The pool, rack or runner pool this entry decides for.
    fn name(&self) -> &str;
    /// Planned, held or disabled.
    fn status(&self) -> &PoolStatus;
    /// One line saying what bound the decision.
    fn reason(&self) -> &str;
    /// Actions the entry takes: jobs to start, machines to deploy, runners to start or remove.
    fn action_count(&self) -> usize;
    /// Keeps the first `grant` actions (in the order apply runs them) and appends `note` to
    /// the reason; what is dropped is marked in the entry's decisions.
    fn clip(&mut self, grant: u32, note: &str);
    /// Renders the entry's job files; a template that fails holds the entry.
    fn render(&mut self, templates: &Templates, desired: &Desired, secrets: Secrets<'_>);
    /// Appends the entry as text: a head line, then one line per decision.
    fn write_text(&self, out: &mut String);
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

/// Hands out `total` one at a time to each still-wanting entry in turn.
pub fn share_round_robin(total: u32, wants: &[u32]) -> Vec<u32> {
    let mut grants = vec![0; wants.len()];
    let mut left = total;
    while left > 0 {
        let mut gave = false;
        for (grant, want) in grants.iter_mut().zip(wants) {
            if left > 0 && *grant < *want {
                *grant += 1;
                left -= 1;
                gave = true;
            }
        }
        if !gave {
            break;
        }
    }
    grants
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
