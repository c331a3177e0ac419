//! APPLY: carries out a re-checked plan, kind by kind (each kind's `execute`), and gathers
//! what happened into one versioned report: one [`ActionRecord`] per action, whatever its
//! kind. One failed action never stops the others. Decides nothing: what to do comes in.

use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;

use crate::plan::{Drift, Plan};
use crate::reconcilers::record::{
    ActionError, ActionRecord, Broken, ErrorClass, Kind, Outcome, VerifyNote,
};
use crate::reconcilers::{PoolStatus, Run};

/// Version of the apply report (`apply --format json`); bumped when a field changes meaning.
pub const REPORT_FORMAT: u32 = 1;

/// Removes the job directories (job files with real secrets) a killed run left under
/// `work_dir`. Holding `_lock` proves no launch of that run is still using them. A `work_dir`
/// that is a symbolic link is refused, not followed.
pub fn remove_leftover_job_dirs(
    work_dir: &Path,
    _lock: &crate::lock::RunLock,
) -> Result<usize, crate::lock::UnsafeState> {
    crate::reconcilers::device_pools::execute::remove_leftover_job_dirs(work_dir)
}

/// What an apply did: the plan it carried out and one record per action.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ApplyReport {
    /// Apply report format version.
    pub format: u32,
    /// Version of devicepool that applied.
    pub devicepool: String,
    /// The re-checked plan: exactly what was carried out.
    pub plan: Plan,
    /// Every action tried, kind by kind in the order they ran, then every saved action the
    /// re-check skipped.
    pub actions: Vec<ActionRecord>,
    /// Pools, racks and runner pools held in the snapshot this apply read.
    pub held: Vec<Held>,
    /// With `--verify`: every promise the fleet read back after applying breaks (empty: all
    /// kept). Absent without `--verify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified: Option<Vec<Broken>>,
    /// With `--verify`: what the fleet read back shows that breaks no promise of this run
    /// (a runner pool draining above a lowered `max_runners`, a device two jobs of ours hold
    /// that this run started nothing on).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verify_notes: Vec<VerifyNote>,
}

/// An entry that was not handled because a source it needs failed (or it cannot be rendered).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Held {
    pub kind: Kind,
    pub pool: String,
    pub reason: String,
}

impl ApplyReport {
    /// Actions that should have happened and did not.
    pub fn failed(&self) -> usize {
        self.count(Outcome::Failed)
    }

    /// Actions that ended with `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.actions.iter().filter(|a| a.outcome == outcome).count()
    }
}

/// Carries out every action of `kept` (a re-checked plan); the drifted ones are reported as
/// skipped.
pub fn carry_out(run: &Run<'_>, mut kept: Plan, drifted: Vec<Drift>) -> ApplyReport {
    // The fresh plan's explanations speak of what it planned; say what is kept.
    kept.explain_entries();
    let mut actions = crate::reconcilers::execute_every_kind(run, &kept);
    actions.extend(drifted.into_iter().map(|d| {
        let record = ActionRecord::new(d.kind, &d.pool, d.action, &d.target);
        record.skip(ActionError::new(ErrorClass::Drifted, d.reason))
    }));
    // Every request has been answered or has failed: none is on its way any more.
    if let Some(sends) = &run.sends {
        sends.finish();
    }
    let held = kept
        .entries()
        .filter(|e| matches!(e.status(), PoolStatus::Held { .. }))
        .map(|e| Held {
            kind: e.kind(),
            pool: e.name().to_string(),
            reason: e.reason().to_string(),
        })
        .collect();
    ApplyReport {
        format: REPORT_FORMAT,
        devicepool: env!("CARGO_PKG_VERSION").to_string(),
        plan: kept,
        actions,
        held,
        verified: None,
        verify_notes: Vec::new(),
    }
}
