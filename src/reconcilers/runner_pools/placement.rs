//! A runner pool on several Docker hosts (`docker_hosts`): while a host does not answer, the
//! runners no answering host serves are held (neither counted free nor removed, still counted
//! towards `max_runners`); the room is what the answering hosts have; each start goes to the
//! host with the most room (the first listed on a tie). Pure: data in, data out.

use jiff::Timestamp;

use super::config::RunnerPool;
use super::drain::describe_drain;
use super::model::{HostPlacement, RunnerDecision, RunnerPoolPlan, RunnerState};
use super::replace::{add_pairs, unpair};
use super::rules::plan_runner_pool;
use crate::snapshot::{HostReading, RunnerPoolState, RunnerView};

/// Plans one runner pool from fresh data, placing its starts on its hosts when it has several.
pub(crate) fn plan_on_hosts(
    name: &str,
    pool: &RunnerPool,
    state: &RunnerPoolState,
    (keyed, now): (bool, Timestamp),
) -> RunnerPoolPlan {
    plan_replacing(name, pool, state, (keyed, now), 0)
}

/// [`plan_on_hosts`] with up to `replace` outdated idle runners replaced (start new, then
/// remove old) within the pool's budgets and its hosts' room.
pub(crate) fn plan_replacing(
    name: &str,
    pool: &RunnerPool,
    state: &RunnerPoolState,
    (keyed, now): (bool, Timestamp),
    replace: u32,
) -> RunnerPoolPlan {
    if pool.docker_hosts.is_empty() {
        let mut plan = plan_runner_pool(name, pool, state, (keyed, now));
        add_pairs(&mut plan, pool, state, (now, replace));
        return plan;
    }
    // A host without a reading (one named after the snapshot was taken) is as silent as one
    // that failed: what runs there is unknown.
    let answered = |host: &str| reading(state, host).is_some_and(|h| h.error.is_none());
    let silent: Vec<&str> = pool
        .docker_hosts
        .iter()
        .map(|share| share.host.as_str())
        .filter(|host| !answered(host))
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
        .filter(|share| answered(&share.host))
        .map(|share| share.max_runners)
        .sum();
    // The held runners count towards max_runners for the starts, never for a drain: a host
    // that does not answer is no reason to remove runners on the others.
    let mut narrowed = pool.clone();
    narrowed.max_runners = pool.max_runners.min(capacity);
    let mut visible = state.clone();
    visible.runners = seen;
    let mut plan = plan_runner_pool(name, &narrowed, &visible, (keyed, now));
    add_pairs(&mut plan, &narrowed, &visible, (now, replace));
    let drain_seen = drain_of(&plan);
    clip_starts_for_held(&mut plan, pool.max_runners, held.len() as u32);
    if let Some(n) = plan.numbers.as_mut() {
        n.runners += held.len() as u32;
        n.max_runners = pool.max_runners;
        n.above_max = n.runners.saturating_sub(pool.max_runners);
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
    reword(&mut plan, drain_seen, (pool.max_runners, capacity));
    place(&mut plan, pool, state);
    unpair(
        &mut plan,
        "its replacement found no room on the answering Docker hosts",
    );
    plan
}

/// The drain clause of `plan`'s reason as its numbers and decisions give it.
fn drain_of(plan: &RunnerPoolPlan) -> Option<String> {
    let (numbers, thresholds) = (plan.numbers.as_ref()?, plan.thresholds.as_ref()?);
    describe_drain(numbers, &plan.runners, thresholds)
}

/// The planner worded its reason on the runners the answering hosts serve, under the narrowed
/// maximum: the drain is said again on the whole pool (held runners counted, left alone), and
/// a clip by what the answering hosts take names them, not the pool's `max_runners`.
fn reword(plan: &mut RunnerPoolPlan, drain_seen: Option<String>, (max, capacity): (u32, u32)) {
    if let Some(seen) = drain_seen {
        plan.reason = plan.reason.replace(&format!("; {seen}"), "");
    }
    if capacity < max {
        plan.reason = plan.reason.replace(
            "starts clipped by max_runners",
            &format!(
                "starts clipped by the answering Docker hosts' max_runners ({capacity} in all)"
            ),
        );
    }
    if let Some(drain) = drain_of(plan) {
        plan.reason.push_str(&format!("; {drain}"));
    }
}

/// Drops the starts that would take the pool past `max_runners` once the `held` runners (on
/// hosts that do not answer) are counted, saying so.
fn clip_starts_for_held(plan: &mut RunnerPoolPlan, max_runners: u32, held: u32) {
    let Some(n) = plan.numbers.as_mut() else {
        return;
    };
    let staying = n.runners
        - plan
            .removals
            .iter()
            .filter(|r| r.runner_id.is_some())
            .count() as u32;
    let room = max_runners.saturating_sub(staying + held) as usize;
    if plan.starts.len() <= room {
        return;
    }
    let wanted = plan.starts.len();
    plan.starts.truncate(room);
    n.starts = room as u32;
    plan.reason.push_str(&format!(
        "; starts clipped by max_runners with {held} runners held on Docker hosts that do not answer: {room} of {wanted}"
    ));
}

fn reading<'a>(state: &'a RunnerPoolState, host: &str) -> Option<&'a HostReading> {
    state.hosts.iter().find(|h| h.host == host)
}

/// Gives each removal the host of its container and each start the host with the most room,
/// counting the removals placed there (starts beyond every host's room are dropped, and the
/// reason says so).
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
    // Removals first: a container removed from a host frees its room for a start (a recycled
    // runner's replacement), as the planner counts it for the pool.
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
    let room = |h: &HostPlacement| {
        if h.answered {
            (h.max_runners + h.removals.len() as u32)
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
