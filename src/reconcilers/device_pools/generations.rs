//! A device pool's roll-out report: from the spec its job file renders now and its jobs of
//! ours grouped by the spec each ran, which devices run an outdated spec and how each
//! generation fared. Device pools replace nothing (a job ends on its own), so this only
//! reports. Pure: no I/O, no clock.

use super::model::Generation;
use crate::reconcilers::rollout::{Fared, RolloutFacts, RolloutPlan};

/// The roll-out of a pool whose job file renders `spec` now: outdated are the devices whose
/// job in flight runs another spec (a job with no spec label is unknown, never outdated); the
/// reason gives each generation's jobs and failures, the current one marked.
pub(crate) fn report_rollout(spec: &str, generations: &[Generation]) -> RolloutPlan {
    let is_current = |g: &Generation| g.spec.as_deref() == Some(spec);
    let is_older = |g: &Generation| g.spec.is_some() && !is_current(g);
    let mut outdated: Vec<String> = (generations.iter().filter(|g| is_older(g)))
        .flat_map(|g| g.in_flight.iter().cloned())
        .collect();
    outdated.sort();
    let fared = |keep: &dyn Fn(&Generation) -> bool| {
        generations
            .iter()
            .filter(|g| keep(g))
            .fold(Fared::default(), |sum, g| Fared {
                total: sum.total + g.jobs,
                proven: sum.proven + (g.jobs - g.failed),
                failed: sum.failed + g.failed,
            })
    };
    let facts = RolloutFacts {
        spec: spec.to_string(),
        replaceable: 0,
        current: fared(&is_current),
        previous: fared(&is_older),
        size: generations.iter().map(|g| g.in_flight.len() as u32).sum(),
        outdated,
    };
    RolloutPlan::report_only(facts, describe(spec, generations))
}

/// One line of results per generation, oldest first, e.g. "spec 3f2a…: 12 jobs, 1 failed;
/// spec 9c1b… (current): 3 jobs, 0 failed".
pub(crate) fn describe(spec: &str, generations: &[Generation]) -> String {
    let mut parts: Vec<String> = generations
        .iter()
        .map(|g| {
            let name = match g.spec.as_deref() {
                Some(s) if s == spec => format!("spec {s} (current)"),
                Some(s) => format!("spec {s}"),
                None => "unknown spec (jobs without a spec label)".to_string(),
            };
            let in_flight = match g.in_flight.len() {
                0 => String::new(),
                n => format!(", {n} in flight"),
            };
            format!("{name}: {} job(s), {} failed{in_flight}", g.jobs, g.failed)
        })
        .collect();
    if !generations.iter().any(|g| g.spec.as_deref() == Some(spec)) {
        parts.push(format!("spec {spec} (current): no job yet"));
    }
    parts.join("; ")
}

#[cfg(test)]
#[path = "generations_tests.rs"]
mod tests;
