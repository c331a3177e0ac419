//! Which deploy results a rack run reads, after the histories and spec searches: while a rack
//! rolls out, the result of each of its (and its canary rack's) machines' newest deploys on the
//! new spec, to know how that spec fares; then the last ended deploy's result of each machine
//! the plan deploys, reported beside that decision. Read-only; what to read is decided by the
//! rules' own pure planner on the data read so far, and it never deploys anything.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use jiff::Timestamp;

use super::config::Rack;
use super::eligibility::QueueServers;
use super::history::{Server, last_ended_job, read_result};
use super::model::RackPlan;
use super::redeploy::ended_current_deploy;
use super::rules::{ToPlan, plan_read};
use crate::clients::http::ApiError;
use crate::parallel::{Task, run_parallel};
use crate::reconcilers::ownership::Ownership;
use crate::snapshot::{AgentHistory, LastResult, RackState, TestflingerAgent};

type States = BTreeMap<String, Result<RackState, ApiError>>;

/// `(rack, agent, job id)`: one result to read and where it goes.
type Wanted = Vec<(String, String, String)>;

/// Reads the new spec's results where a roll-out needs them, then, planning again with them,
/// the last result of each machine deployed.
pub(crate) fn read_needed_results(
    (server, parallel): (Server<'_>, usize),
    racks: &[(&String, &Rack)],
    states: &mut States,
    agents: (&[TestflingerAgent], &QueueServers<'_>),
    (owner, now): (Ownership<'_>, Timestamp),
) {
    let plans = plan_states(racks, states, agents, (owner, now));
    let wanted = spec_results_wanted(racks, &plans, states);
    let read = read_results((server, parallel), &wanted);
    store_results(states, read, |history, result| {
        history.spec_result = Some(result)
    });
    let plans = plan_states(racks, states, agents, (owner, now));
    let wanted = deployed_results_wanted(&plans, states);
    // A result already read for the roll-out is not read again.
    let (known, unknown): (Wanted, Wanted) = (wanted.into_iter())
        .partition(|(rack, agent, job)| read_already(states, (rack, agent), job).is_some());
    let mut read = read_results((server, parallel), &unknown);
    read.extend(known.into_iter().filter_map(|(rack, agent, job)| {
        let result = read_already(states, (&rack, &agent), &job)?.clone();
        Some((rack, agent, result))
    }));
    store_results(states, read, |history, result| {
        history.last_result = Some(result)
    });
}

/// The roll-out's result of `job` on `agent` of `rack`, when it was read this run.
fn read_already<'s>(
    states: &'s States,
    (rack, agent): (&str, &str),
    job: &str,
) -> Option<&'s LastResult> {
    let Some(Ok(state)) = states.get(rack) else {
        return None;
    };
    let read = state.histories.get(agent)?.spec_result.as_ref()?;
    (read.job_id == job).then_some(read)
}

/// Plans the racks read so far with the rules' own planner (pure; to know what to read next).
fn plan_states(
    racks: &[(&String, &Rack)],
    states: &States,
    agents: (&[TestflingerAgent], &QueueServers<'_>),
    (owner, now): (Ownership<'_>, Timestamp),
) -> Vec<RackPlan> {
    let read: Vec<ToPlan<'_>> = (racks.iter())
        .filter_map(|(name, rack)| match states.get(name.as_str()) {
            Some(Ok(state)) => Some((name.as_str(), *rack, Ok(state))),
            _ => None,
        })
        .collect();
    plan_read(read, agents, (owner, now))
}

/// How the new spec fares, where a roll-out needs it: in each rack with outdated machines and
/// in the canary rack it names, every machine's newest deploy that ran the current spec and
/// has ended (at most one result per machine on the new spec; none once no rack rolls out).
fn spec_results_wanted(racks: &[(&String, &Rack)], plans: &[RackPlan], states: &States) -> Wanted {
    let mut rolling: BTreeSet<&str> = BTreeSet::new();
    for plan in plans {
        if plan
            .rollout
            .as_ref()
            .is_some_and(|r| !r.outdated.is_empty())
        {
            rolling.insert(plan.rack.as_str());
            let rack = racks.iter().find(|(n, _)| **n == plan.rack);
            let canary = rack.and_then(|(_, r)| r.rollout.canary.as_ref()?.pool.as_deref());
            rolling.extend(canary);
        }
    }
    (rolling.iter())
        .filter_map(|rack| match states.get(*rack) {
            Some(Ok(state)) => Some((*rack, state)),
            _ => None,
        })
        .flat_map(|(rack, state)| {
            let specs = state.specs.as_ref();
            (state.histories.iter()).filter_map(move |(agent, history)| {
                let job = ended_current_deploy(history, specs?)?;
                Some((rack.to_string(), agent.clone(), job.to_string()))
            })
        })
        .collect()
}

/// The last ended deploy of each machine the plan deploys in this run, the one decision its
/// outcome is reported with: at most once per ended deploy, since deploying makes a newer one.
fn deployed_results_wanted(plans: &[RackPlan], states: &States) -> Wanted {
    (plans.iter())
        .flat_map(|p| (p.deploys.iter()).map(move |d| (p.rack.as_str(), d.agent.as_str())))
        .filter_map(|(rack, agent)| {
            let Some(Ok(state)) = states.get(rack) else {
                return None;
            };
            let job = last_ended_job(state.histories.get(agent)?)?;
            Some((rack.to_string(), agent.to_string(), job.to_string()))
        })
        .collect()
}

/// The result of each `(rack, agent, job id)` of `wanted`, read in parallel.
fn read_results(
    (server, parallel): (Server<'_>, usize),
    wanted: &Wanted,
) -> Vec<(String, String, LastResult)> {
    let results = Mutex::new(Vec::new());
    let tasks: Vec<Task<'_>> = (wanted.iter())
        .map(|(rack, agent, job)| {
            let results = &results;
            Box::new(move || {
                let found = (rack.clone(), agent.clone(), read_result(server, job));
                results.lock().unwrap().push(found);
            }) as Task<'_>
        })
        .collect();
    run_parallel(parallel, tasks);
    results.into_inner().unwrap()
}

/// Puts each result read on its agent's history in its rack's state, with `put`.
fn store_results(
    states: &mut States,
    read: Vec<(String, String, LastResult)>,
    put: fn(&mut AgentHistory, LastResult),
) {
    for (rack, agent, result) in read {
        if let Some(Ok(state)) = states.get_mut(&rack)
            && let Some(history) = state.histories.get_mut(&agent)
        {
            put(history, result);
        }
    }
}
