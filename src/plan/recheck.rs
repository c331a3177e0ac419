//! Re-checking a saved plan: the fresh plan cut down to the actions the saved plan selected.
//! The saved plan only selects, by (kind, pool, device / agent / runner); every value an
//! action sends (labels, tags, names, job files, container specs) comes from the fresh plan,
//! so an edited plan file can never make devicepool act beyond what the desired state allows.
//! Pure: two plans in, a verdict out.

use super::model::Plan;
pub use crate::reconcilers::selection::Drift;

/// What a re-check leaves: the fresh plan holding only the selected actions that still hold,
/// and why each other saved action will not run.
#[derive(Debug, Clone, PartialEq)]
pub struct Recheck {
    /// The fresh plan with only the kept actions: exactly what the apply carries out.
    pub kept: Plan,
    /// Saved actions that will not run, pool by pool.
    pub drifted: Vec<Drift>,
}

/// Keeps the actions of `fresh` that `saved` selects and whose sent values it shows unchanged.
/// Re-checking a plan against itself keeps all of it.
pub fn recheck(saved: &Plan, fresh: &Plan) -> Recheck {
    let mut kept = fresh.clone();
    let mut drifted = Vec::new();
    crate::reconcilers::recheck_every_kind(saved, fresh, &mut kept, &mut drifted);
    // A shared device whose saved start was not selected is no longer shown as started.
    kept.mark_group_starts();
    Recheck { kept, drifted }
}
