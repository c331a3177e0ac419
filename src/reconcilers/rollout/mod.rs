//! Roll-outs shared by every kind: the digest of a rendered spec that each object devicepool
//! creates carries (`spec:<hex>`), the `rollout:` policy a pool writes, its load-time checks,
//! and (in `decide`) the one pure decision of how many outdated objects a pool replaces this
//! run. No I/O, no clock; no kind's own rules live here.

mod decide;

pub use decide::{Fared, RolloutFacts, RolloutPlan, RolloutState, decide};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::load::section::Problem;

/// Prefix of the spec marker (HyperExecute label, Testflinger tag, container label value).
pub const SPEC_PREFIX: &str = "spec:";
/// Hex characters of a spec digest: 48 bits of SHA-256, enough to tell generations apart.
const SPEC_HEX: usize = 12;

/// The digest of a rendered spec, as 12 hex characters. The caller renders it with every
/// secret redacted and every per-object value (name, id, device) replaced by a fixed
/// placeholder, so two objects of one generation carry the same digest and no secret can be
/// guessed from it.
pub fn spec_digest(rendered: &str) -> String {
    let digest = Sha256::digest(rendered.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    hex[..SPEC_HEX].to_string()
}

/// The marker word an object carries for `digest`: `spec:<hex>` (a label, a tag, or with
/// the `devicepool.spec` container label its value).
pub fn spec_marker(digest: &str) -> String {
    format!("{SPEC_PREFIX}{digest}")
}

/// The digest a marker word carries, when it is one [`spec_marker`] writes; anything else
/// reads as no marker (an unknown spec, never an outdated one).
pub fn read_spec_marker(word: &str) -> Option<&str> {
    word.strip_prefix(SPEC_PREFIX)
        .filter(|digest| is_spec_digest(digest))
}

/// True for a digest as [`spec_digest`] writes it (a marker read from an API is checked
/// before it is believed).
pub fn is_spec_digest(text: &str) -> bool {
    text.len() == SPEC_HEX && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// How a pool replaces objects whose spec is outdated (`rollout:` of a runner pool or rack).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    /// Most outdated objects replaced in one run (within the kind's own start, removal and
    /// deploy budgets).
    #[serde(default = "default_max_per_run")]
    #[schemars(range(min = 1))]
    pub max_per_run: u32,
    /// Runners: replace only idle runners; a busy runner is never replaced either way. With
    /// `false`, an outdated busy runner is also paused so it takes no new job, and replaced
    /// once idle. Racks always deploy only to waiting agents and refuse `false`.
    #[serde(default = "default_true")]
    pub idle_only: bool,
    /// What goes first: another pool of the same kind, or a fraction of this pool. The rest
    /// follow only once the canary runs the new spec and fails no more than the old one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<Canary>,
    /// Stop replacing while objects on the new spec fail more, as a share, than those on the
    /// old one.
    #[serde(default = "default_true")]
    pub pause_on_failures: bool,
}

impl Default for Rollout {
    fn default() -> Self {
        Rollout {
            max_per_run: default_max_per_run(),
            idle_only: true,
            canary: None,
            pause_on_failures: true,
        }
    }
}

/// The canary of a roll-out: exactly one of `pool` and `fraction`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Canary {
    /// Another pool of the same kind whose roll-out must be done, and not failing, first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// This share of the pool (above 0, at most 1; at least one object) is replaced first;
    /// the rest wait until those have run and fail no more than the old spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub fraction: Option<f64>,
}

fn default_max_per_run() -> u32 {
    1
}

fn default_true() -> bool {
    true
}

/// The rules the schema cannot say for `rollout` at `at` (a JSON pointer) of entry `name`,
/// whose kind's entries are `siblings` (name, its rollout): a canary names exactly one of
/// `pool` and `fraction`; a canary pool is another entry of the same kind with no canary pool
/// of its own (no chains, no cycles); a fraction is above 0.
pub(crate) fn check_rollout<'a>(
    problems: &mut Vec<Problem>,
    at: &str,
    name: &str,
    rollout: &Rollout,
    siblings: impl Fn(&str) -> Option<&'a Rollout>,
) {
    if rollout.max_per_run == 0 {
        let message = "max_per_run must be at least 1 (to stop a roll-out, disable the pool)";
        problems.push(Problem::at(format!("{at}/max_per_run"), message));
    }
    let Some(canary) = &rollout.canary else {
        return;
    };
    let here = format!("{at}/canary");
    match (&canary.pool, canary.fraction) {
        (Some(_), Some(_)) | (None, None) => problems.push(Problem::at(
            here,
            "a canary names exactly one of `pool` (another entry of this kind) and `fraction` \
             (a share of this one)",
        )),
        (None, Some(fraction)) if !(fraction > 0.0 && fraction <= 1.0) => {
            problems.push(Problem::at(
                format!("{here}/fraction"),
                "fraction must be above 0 and at most 1",
            ))
        }
        (Some(pool), None) if pool == name => problems.push(Problem::at(
            format!("{here}/pool"),
            "a pool cannot be its own canary",
        )),
        (Some(pool), None) => match siblings(pool) {
            None => problems.push(Problem::at(
                format!("{here}/pool"),
                format!("no entry of this kind is named {pool:?}"),
            )),
            Some(other) if other.canary.as_ref().is_some_and(|c| c.pool.is_some()) => problems
                .push(Problem::at(
                    format!("{here}/pool"),
                    format!("{pool:?} waits for a canary pool of its own; canaries do not chain"),
                )),
            Some(_) => {}
        },
        (None, Some(_)) => {}
    }
}

#[cfg(test)]
mod tests;
