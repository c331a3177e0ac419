//! A runner pool on several Docker hosts (`docker_hosts`): while a host does not answer, the
//! runners no answering host serves are held (neither counted free nor removed, still counted
//! towards `max_runners`); the room is what the answering hosts have; each start goes to the
//! host with the most room (the first listed on a tie). Pure: data in, data out.

use jiff::Timestamp;

use super::config::RunnerPool;
use super::model::{HostPlacement, RunnerDecision, RunnerPoolPlan, RunnerState};
use super::rules::plan_runner_pool;
use crate::snapshot::{HostReading, RunnerPoolState, RunnerView};

/// Plans one runner pool from fresh data, placing its starts on its hosts when it has several.
pub(crate) fn plan_on_hosts(
    name: &str,
    pool: &RunnerPool,
    state: &RunnerPoolState,
    (keyed, now): (bool, Timestamp),
) -> RunnerPoolPlan {
    if pool.docker_hosts.is_empty() {
        return plan_runner_pool(name, pool, state, (keyed, now));
    }
    let silent: Vec<&str> = state
        .hosts
        .iter()
        .filter(|h| h.error.is_some())
        .map(|h| h.host.as_str())
        .collect();
    let served = |r: &RunnerView| state.containers.iter().any(|c| c.runner_id == Some(r.id));
    let (held, seen): (Vec<RunnerView>, Vec<RunnerView>) = state
        .runners
        .iter()
        .cloned()
        .partition(|r| !silent.is_empty() && !served(r));
    let capacity: u32 = pool
        .docker_hosts
        .iter()
        .filter(|share| reading(state, &share.host).is_some_and(|h| h.error.is_none()))
        .map(|share| share.max_runners)
        .sum();
    let mut narrowed = pool.clone();
    narrowed.max_runners = pool
        .max_runners
        .saturating_sub(held.len() as u32)
        .min(capacity);
    let mut visible = state.clone();
    visible.runners = seen;
    let mut plan = plan_runner_pool(name, &narrowed, &visible, (keyed, now));
    if let Some(n) = plan.numbers.as_mut() {
        n.runners += held.len() as u32;
        n.max_runners = pool.max_runners;
    }
    for runner in held {
        plan.runners.push(RunnerDecision {
            id: runner.id,
            description: runner.description,
            state: RunnerState::LeftAlone,
            detail: format!(
                "no answering Docker host serves it while {} does not answer: held, neither counted free nor removed",
                silent.join(", ")
            ),
        });
    }
    plan.runners.sort_by_key(|r| r.id);
    place(&mut plan, pool, state);
    plan
}

fn reading<'a>(state: &'a RunnerPoolState, host: &str) -> Option<&'a HostReading> {
    state.hosts.iter().find(|h| h.host == host)
}

/// Gives each start the host with the most room (starts beyond every host's room are
/// dropped, and the reason says so) and each removal the host of its container.
fn place(plan: &mut RunnerPoolPlan, pool: &RunnerPool, state: &RunnerPoolState) {
    let mut hosts: Vec<HostPlacement> = pool
        .docker_hosts
        .iter()
        .map(|share| {
            let read = reading(state, &share.host);
            HostPlacement {
                host: share.host.clone(),
                max_runners: share.max_runners,
                containers: read.map_or(0, |h| h.containers.len() as u32),
                answered: read.is_some_and(|h| h.error.is_none()),
                starts: Vec::new(),
                removals: Vec::new(),
            }
        })
        .collect();
    let room = |h: &HostPlacement| {
        if h.answered {
            h.max_runners
                .saturating_sub(h.containers + h.starts.len() as u32)
        } else {
            0
        }
    };
    let mut placed = 0;
    for start in &plan.starts {
        let best = (0..hosts.len())
            .filter(|&i| room(&hosts[i]) > 0)
            .max_by_key(|&i| (room(&hosts[i]), std::cmp::Reverse(i)));
        let Some(best) = best else { break };
        hosts[best].starts.push(start.name.clone());
        placed += 1;
    }
    let wanted = plan.starts.len();
    if placed < wanted {
        plan.starts.truncate(placed);
        if let Some(n) = plan.numbers.as_mut() {
            n.starts = placed as u32;
        }
        plan.reason.push_str(&format!(
            "; starts clipped by the room on the answering Docker hosts: {placed} of {wanted}"
        ));
    }
    for removal in &plan.removals {
        let Some(container) = &removal.container_id else {
            continue;
        };
        let on = state
            .hosts
            .iter()
            .position(|h| h.containers.contains(container));
        if let Some(i) = on.and_then(|i| {
            let host = &state.hosts[i].host;
            hosts.iter().position(|h| &h.host == host)
        }) {
            hosts[i].removals.push(container.clone());
        }
    }
    plan.hosts = hosts;
}

/// One line per host of the pool: its runners and room, the starts placed on it, or that it
/// did not answer.
pub(crate) fn host_lines(plan: &RunnerPoolPlan) -> Vec<String> {
    plan.hosts
        .iter()
        .map(|h| {
            if !h.answered {
                return format!(
                    "host {}: does not answer; only its share is held (max_runners {})",
                    h.host, h.max_runners
                );
            }
            let starts = if h.starts.is_empty() {
                "no start".to_string()
            } else {
                format!("start {}", h.starts.join(", "))
            };
            format!(
                "host {}: {} of max_runners {}; {starts}; remove {}",
                h.host,
                h.containers,
                h.max_runners,
                h.removals.len()
            )
        })
        .collect()
}

#[cfg(test)]
#[path = "placement_tests.rs"]
mod tests;
