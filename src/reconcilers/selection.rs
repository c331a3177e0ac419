//! Selecting a saved plan's actions from a fresh plan, the part every kind shares: an action
//! is named by its target (device, agent, runner) and kept only when the fresh plan takes it
//! with the same values; every other saved action becomes a [`Drift`] saying why. Pure.

use std::collections::BTreeSet;

use super::PoolStatus;
use super::record::{Action, Kind};

/// A saved action that will not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub kind: Kind,
    pub action: Action,
    /// Device pool, rack or runner pool.
    pub pool: String,
    /// The device, agent, runner or container (an `ActionRecord`'s target).
    pub target: String,
    pub reason: String,
}

/// Said of a saved action listed again under the same identity.
pub(crate) const LISTED_TWICE: &str = "listed more than once in the saved plan; done at most once";

/// Why nothing of a pool, rack or runner pool runs, when it is not planned now.
pub(crate) fn unplanned(kind: &str, status: &PoolStatus) -> Option<String> {
    match status {
        PoolStatus::Planned => None,
        PoolStatus::Held { reason } => Some(format!("{kind} is held now: {reason}")),
        PoolStatus::Disabled => Some(format!("{kind} is disabled now")),
    }
}

/// One kind of action a saved plan selects: what it acts on, and what it sends.
pub(crate) trait Selectable: Clone {
    /// The device or agent: one action per target.
    fn target(&self) -> &str;
    /// Why the saved action is not the fresh one, when a value it sends differs.
    fn differs_from(&self, fresh: &Self) -> Option<String>;
}

/// Why a saved list of labels or tags is refused, when it is not the fresh one.
pub(crate) fn differs(what: &str, saved: &[String], fresh: &[String]) -> Option<String> {
    (saved != fresh).then(|| {
        format!(
            "the saved plan's {what} {} are not the ones the desired state gives ({})",
            saved.join(","),
            fresh.join(",")
        )
    })
}

pub(crate) fn renders_differently(saved: &str, fresh: &str) -> Option<String> {
    (saved != fresh)
        .then(|| "the job file renders differently now (template or desired state changed)".into())
}

/// The saved actions of one pool, and the fresh plan's for it.
pub(crate) struct Selection<'a, A> {
    pub kind: Kind,
    pub action: Action,
    pub pool: &'a str,
    pub saved: Vec<&'a A>,
    pub fresh: &'a [A],
    /// Why none runs: the pool is not planned now.
    pub not_planned: Option<String>,
}

impl<A: Selectable> Selection<'_, A> {
    /// The fresh actions the saved ones select unchanged, in the fresh plan's order; every
    /// other saved action is drifted, with `why_not` saying why the fresh plan skips its target.
    pub(crate) fn select(
        self,
        why_not: impl Fn(&str) -> String,
        drifted: &mut Vec<Drift>,
    ) -> Vec<A> {
        let mut selected = BTreeSet::new();
        for action in self.saved {
            let target = action.target();
            let fresh = self.fresh.iter().find(|a| a.target() == target);
            let reason = match (&self.not_planned, fresh) {
                (Some(reason), _) => reason.clone(),
                _ if selected.contains(target) => LISTED_TWICE.to_string(),
                (None, Some(now)) => match action.differs_from(now) {
                    Some(reason) => reason,
                    None => {
                        selected.insert(target);
                        continue;
                    }
                },
                (None, None) => why_not(target),
            };
            drifted.push(Drift {
                kind: self.kind,
                action: self.action,
                pool: self.pool.to_string(),
                target: target.to_string(),
                reason,
            });
        }
        self.fresh
            .iter()
            .filter(|a| selected.contains(a.target()))
            .cloned()
            .collect()
    }
}

/// Adds to a fresh reason how many of its actions the saved plan kept, when not all.
pub(crate) fn note_selection(reason: &mut String, fresh: usize, kept: usize) {
    if kept != fresh {
        reason.push_str(&format!(
            "; the saved plan keeps {kept} of these {fresh} action(s)"
        ));
    }
}

/// Saved actions, by pool, of pools the fresh plan does not have at all.
pub(crate) fn orphans<'a>(
    saved: impl Iterator<Item = (&'a String, Vec<(Action, String)>)>,
    fresh: impl Iterator<Item = &'a String>,
    kind: Kind,
) -> Vec<Drift> {
    let named = kind.noun();
    let known: BTreeSet<&String> = fresh.collect();
    saved
        .filter(|(pool, _)| !known.contains(pool))
        .flat_map(|(pool, actions)| {
            actions.into_iter().map(move |(action, target)| Drift {
                kind,
                action,
                pool: pool.clone(),
                target,
                reason: format!("{named} no longer in the desired state"),
            })
        })
        .collect()
}
