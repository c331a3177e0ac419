//! The one roll-out decision every kind makes: from how many of a pool's objects run an
//! outdated spec and how each generation fares, how many the pool replaces this run and why
//! not more. Pure: numbers in, a [`RolloutPlan`] out; the kind says what "replace", "proven"
//! and "failed" mean for its objects.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Rollout;

/// How the objects of one generation fare as this run sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fared {
    /// Objects of the generation.
    pub total: u32,
    /// Of them, those that have shown they work (a runner that contacted GitLab, a deploy
    /// that completed).
    pub proven: u32,
    /// Of them, those that failed (a runner gone offline or whose container exited, a deploy
    /// that failed).
    pub failed: u32,
}

impl Fared {
    /// True when this generation fails more, as a share, than `base` did (never with no
    /// failure; any failure against a base with no object).
    fn fails_more_than(self, base: Fared) -> bool {
        self.failed > 0
            && u64::from(self.failed) * u64::from(base.total.max(1))
                > u64::from(base.failed) * u64::from(self.total)
    }

    fn words(self) -> String {
        format!("{} of {} failed", self.failed, self.total)
    }
}

/// What one pool's roll-out stands on this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolloutFacts {
    /// The spec the desired state renders now.
    pub spec: String,
    /// Objects whose spec differs from it (names, for the plan to list).
    pub outdated: Vec<String>,
    /// Of those, how many the kind could replace right now (idle runners, waiting agents).
    pub replaceable: u32,
    /// Objects on the current spec.
    pub current: Fared,
    /// Objects on any older spec.
    pub previous: Fared,
    /// Every object of the pool, for a canary fraction.
    pub size: u32,
}

/// Where a pool's roll-out stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RolloutState {
    /// Every object runs the current spec.
    Converged,
    /// Replacing outdated objects.
    Rolling,
    /// Replacing the canary share first.
    Canary,
    /// Waiting: for the canary to prove itself, or for an outdated object to be replaceable.
    Waiting,
    /// Stopped: the new spec fails more than the old one (`pause_on_failures`).
    Paused,
}

/// A pool's roll-out in a plan: the spec it renders now, what is outdated and how many are
/// replaced this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RolloutPlan {
    /// Digest of the spec the desired state renders now (12 hex).
    pub spec: String,
    /// Objects on another spec: runner names, machine names, devices whose job runs one.
    pub outdated: Vec<String>,
    /// How many of them this run replaces.
    pub replace: u32,
    pub state: RolloutState,
    /// One line: why this many and not more.
    pub reason: String,
}

impl RolloutPlan {
    /// A plan for a kind with nothing long-lived to replace (device pools): it only reports.
    pub fn report_only(facts: RolloutFacts, reason: String) -> Self {
        let state = if facts.outdated.is_empty() {
            RolloutState::Converged
        } else {
            RolloutState::Waiting
        };
        RolloutPlan {
            spec: facts.spec,
            outdated: facts.outdated,
            replace: 0,
            state,
            reason,
        }
    }

    /// One line for the plan text and `explain`.
    pub fn line(&self) -> String {
        format!(
            "spec {}: {} outdated, replacing {} ({}): {}",
            self.spec,
            self.outdated.len(),
            self.replace,
            crate::reconcilers::word_of(&self.state),
            self.reason
        )
    }
}

/// How many of `facts.outdated` a pool with `policy` replaces this run. `canary` is the
/// canary pool's name and its facts when the policy names one (`None` facts: that pool was
/// not planned this run, held or disabled, so nothing follows it).
pub fn decide(
    policy: &Rollout,
    facts: RolloutFacts,
    canary: Option<(&str, Option<&RolloutFacts>)>,
) -> RolloutPlan {
    let outdated = facts.outdated.len() as u32;
    let (state, replace, reason) = if outdated == 0 {
        let reason = "every object runs the current spec".to_string();
        (RolloutState::Converged, 0, reason)
    } else if policy.pause_on_failures && facts.current.fails_more_than(facts.previous) {
        let reason = format!(
            "pause_on_failures: the new spec {}, the old {}",
            facts.current.words(),
            facts.previous.words()
        );
        (RolloutState::Paused, 0, reason)
    } else if let Some(gate) = canary.and_then(|(name, other)| canary_gate(name, other)) {
        gate
    } else {
        step(policy, &facts)
    };
    RolloutPlan {
        spec: facts.spec,
        outdated: facts.outdated,
        replace,
        state,
        reason,
    }
}

/// What holds a pool back for its canary pool; `None` once the canary is done and sound.
fn canary_gate(name: &str, other: Option<&RolloutFacts>) -> Option<(RolloutState, u32, String)> {
    let waiting = |reason: String| Some((RolloutState::Waiting, 0, reason));
    let Some(other) = other else {
        return waiting(format!(
            "canary pool {name}'s roll-out is not known this run (disabled, held, or its specs \
             not read)"
        ));
    };
    if !other.outdated.is_empty() {
        let left = other.outdated.len();
        return waiting(format!("canary pool {name} still has {left} outdated"));
    }
    if other.current.fails_more_than(other.previous) {
        let reason = format!(
            "canary pool {name}'s new spec {}, its old {}",
            other.current.words(),
            other.previous.words()
        );
        return Some((RolloutState::Paused, 0, reason));
    }
    if other.current.proven == 0 {
        return waiting(format!(
            "canary pool {name} has not proven its new spec yet"
        ));
    }
    None
}

/// The step of a pool free to roll: its canary share first, then `max_per_run` at a time.
fn step(policy: &Rollout, facts: &RolloutFacts) -> (RolloutState, u32, String) {
    let outdated = facts.outdated.len() as u32;
    let per_run = policy.max_per_run;
    if let Some(fraction) = policy.canary.as_ref().and_then(|c| c.fraction) {
        let share = canary_share(facts.size, fraction);
        if facts.current.total < share {
            let want = (share - facts.current.total).min(per_run).min(outdated);
            let replace = want.min(facts.replaceable);
            let reason = format!(
                "canary: {share} of {} first ({} on the new spec so far)",
                facts.size, facts.current.total
            );
            return (RolloutState::Canary, replace, reason);
        }
        if facts.current.proven < share {
            let reason = format!(
                "canary: {} of {share} on the new spec proven; the rest wait",
                facts.current.proven
            );
            return (RolloutState::Waiting, 0, reason);
        }
    }
    let replace = per_run.min(outdated).min(facts.replaceable);
    if replace == 0 {
        let reason = format!("{outdated} outdated, none replaceable now");
        return (RolloutState::Waiting, 0, reason);
    }
    let reason = format!(
        "max_per_run {per_run}, {} replaceable now",
        facts.replaceable
    );
    (RolloutState::Rolling, replace, reason)
}

/// How many of `size` objects a canary `fraction` is: the share rounded up, at least one.
/// A product that floating point puts a hair above a whole number (100 × 0.07 =
/// 7.000000000000001) is that number, not the next.
fn canary_share(size: u32, fraction: f64) -> u32 {
    let exact = f64::from(size) * fraction;
    let whole = exact.round();
    let share = if (exact - whole).abs() <= 1e-9 * whole.max(1.0) {
        whole
    } else {
        exact.ceil()
    };
    (share as u32).max(1)
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
