//! The rack rules: deploy agent A of rack R when A's name is the hostname of one of R's MAAS
//! machines, the machine is usable, A is in the right location, serves a queue no other agent
//! serves and polls, is `waiting` without a job, has no active job of ours that can still
//! start (a stuck one is cancelled first), its last deploy is older than `every`, its
//! provisioning fail streak is within the limit, and the per-run cap allows it. Also how our
//! last deploy ended. Pure: data in, data out, `now` passed in.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::config::Rack;
use super::conventions::job_tags;
use super::eligibility::{QueueServers, gate};
use super::model::{
    Deploy, DeployOutcome, LastDeploy, MachineDecision, MachineState, RackPlan, StuckDeploy,
};
use super::stuck::stuck_deploys;
use crate::load::Desired;
use crate::reconcilers::PoolStatus;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::{disabled, unplanned};
use crate::snapshot::Snapshot;
use crate::snapshot::{AgentHistory, RackState, ResultRead, TestflingerAgent, TestflingerResult};

/// Plans every rack of `desired`, in name order; a machine in two racks is deployed by the
/// first only.
pub(crate) fn plan_all(desired: &Desired, snapshot: &Snapshot) -> Vec<RackPlan> {
    let now = snapshot.taken_at;
    let owner = Ownership::of(desired);
    let racks = desired
        .racks
        .iter()
        .map(|(name, rack)| {
            if rack.disabled {
                return held_rack(name, disabled());
            }
            match (snapshot.racks.get(name), &snapshot.agents) {
                (Some(Ok(state)), Ok(agents)) => {
                    let servers = QueueServers::count(agents, desired);
                    plan_rack((name, rack), state, (agents, &servers), (owner, now))
                }
                (state, agents) => {
                    let state_failure = state.and_then(|s| s.as_ref().err());
                    let failures = [state_failure, agents.as_ref().err()];
                    held_rack(name, unplanned(&failures))
                }
            }
        })
        .collect();
    claim_each_agent_once(racks)
}

/// With `agent_stale_after` set, an agent whose record is older (or undated) is `stale`.
pub(crate) fn check_alive(
    rack: &Rack,
    agent: Option<&TestflingerAgent>,
    now: Timestamp,
) -> Result<(), (MachineState, String)> {
    let (Some(limit), Some(agent)) = (rack.agent_stale_after, agent) else {
        return Ok(());
    };
    let limit = SignedDuration::try_from(limit).unwrap_or(SignedDuration::MAX);
    match agent.updated_at {
        Some(at) if now.duration_since(at) <= limit => Ok(()),
        Some(at) => Err((
            MachineState::Stale,
            format!("agent last posted at {at}, longer ago than agent_stale_after"),
        )),
        None => Err((
            MachineState::Stale,
            "agent record has no updated_at; agent_stale_after is set".to_string(),
        )),
    }
}

/// A machine in two racks is deployed once per run: by the first rack in name order; the
/// other rack reports it in flight.
fn claim_each_agent_once(mut racks: Vec<RackPlan>) -> Vec<RackPlan> {
    let mut claimed: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    for rack in &mut racks {
        let mut kept = Vec::new();
        for deploy in std::mem::take(&mut rack.deploys) {
            match claimed.get(&deploy.agent) {
                Some(first) => {
                    if let Some(m) = rack
                        .machines
                        .iter_mut()
                        .find(|m| m.hostname == deploy.agent)
                    {
                        m.state = MachineState::InFlight;
                        m.detail = format!("deployed by rack {first} in this run");
                    }
                }
                None => {
                    claimed.insert(deploy.agent.clone(), rack.rack.clone());
                    kept.push(deploy);
                }
            }
        }
        rack.deploys = kept;
    }
    racks
}

/// Phases in the order an agent runs them: the first one that failed is the one named. (The
/// fake has its own copy: the simulated fleet shares no code with devicepool's clients.)
const PHASE_ORDER: [&str; 7] = [
    "setup",
    "provision",
    "firmware_update",
    "test",
    "allocate",
    "reserve",
    "cleanup",
];

/// Plans one rack from fresh data.
pub(crate) fn plan_rack(
    (name, rack): (&str, &Rack),
    state: &RackState,
    (agents, servers): (&[TestflingerAgent], &QueueServers<'_>),
    (owner, now): (Ownership<'_>, Timestamp),
) -> RackPlan {
    let mut machines = Vec::new();
    let mut deploys = Vec::new();
    let mut due = 0u32;
    let mut sorted: Vec<_> = state.machines.iter().collect();
    sorted.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    for machine in sorted {
        let host = machine.hostname.as_str();
        let agent = agents.iter().find(|a| a.name == host);
        let history = state.histories.get(host);
        let last_deploy = history.and_then(last_deploy);
        let gated = gate(rack, machine, agent, servers)
            .and_then(|queue| check_alive(rack, agent, now).map(|()| queue));
        let ((state, mut detail, due_since), stuck) = match (&gated, history, agent) {
            (Err((state, detail)), _, _) => ((*state, detail.clone(), None), Vec::new()),
            (Ok(_), Some(history), Some(agent)) => decide_due(history, rack, agent, now),
            (Ok(_), None, _) if state.unread.contains_key(host) => (
                (
                    MachineState::HistoryUnknown,
                    format!("job history not read: {}", state.unread[host]),
                    None,
                ),
                Vec::new(),
            ),
            (Ok(_), _, _) => (
                (
                    MachineState::NotWaiting,
                    "job history not read".to_string(),
                    None,
                ),
                Vec::new(),
            ),
        };
        let state = if state == MachineState::Deploy {
            due += 1;
            if deploys.len() < rack.max_deploys_per_run as usize {
                let mut preconditions = vec![
                    format!("agent {host} is waiting without a job"),
                    format!("no active job of ours targets {host}"),
                ];
                preconditions.extend(
                    (stuck.iter()).map(|s| format!("job {} is ours and still waiting", s.job_id)),
                );
                deploys.push(Deploy {
                    agent: host.to_string(),
                    queue: gated.unwrap_or_default().to_string(),
                    tags: job_tags(&owner, name, host),
                    job_file: String::new(),
                    preconditions,
                    cancel_first: stuck,
                });
                MachineState::Deploy
            } else {
                postpone_cancels(&mut detail);
                MachineState::Capped
            }
        } else {
            state
        };
        machines.push(MachineDecision {
            hostname: host.to_string(),
            state,
            detail,
            last_deploy,
            due_since,
        });
    }
    let reason = if (deploys.len() as u32) < due {
        format!(
            "clipped by max_deploys_per_run: {due} due, deploying {}",
            deploys.len()
        )
    } else {
        format!(
            "{} of {} machine(s) due, deploying {}",
            due,
            machines.len(),
            deploys.len()
        )
    };
    RackPlan {
        rollout: None,
        rack: name.to_string(),
        status: PoolStatus::Planned,
        reason,
        deploys,
        machines,
    }
}

/// A machine's state, its detail and since when it has been due (when it is, after a deploy).
type Cadence = (MachineState, String, Option<Timestamp>);

/// In flight, not yet due, or due — from our job history on the agent. Our deploys that can no
/// longer start (see `stuck.rs`) neither hold the machine nor set the cadence: they are given
/// back to be cancelled before the next deploy, and the detail says so.
fn decide_due(
    history: &AgentHistory,
    rack: &Rack,
    agent: &TestflingerAgent,
    now: Timestamp,
) -> (Cadence, Vec<StuckDeploy>) {
    let stuck = stuck_deploys(history, &agent.polled_queues(), rack.stuck_after, now);
    let (state, mut detail, due_since) = decide_cadence(history, &stuck, rack, now);
    if !stuck.is_empty() {
        let said: Vec<String> = (stuck.iter())
            .map(|s| format!("job {} ({})", s.job_id, s.reason))
            .collect();
        let when = if state == MachineState::Deploy {
            CANCELLED_FIRST
        } else {
            CANCELLED_LATER
        };
        detail.push_str(&format!("; stuck {}{when}", said.join(", ")));
    }
    ((state, detail, due_since), stuck)
}

/// How a due machine's detail ends when its stuck deploys are cancelled before its deploy.
const CANCELLED_FIRST: &str = ": cancelled first";
/// How it ends when the machine is not deployed in this run.
const CANCELLED_LATER: &str = ": no longer holds the machine; cancelled when it is next deployed";

/// A due machine that is not deployed after all (capped): its stuck deploys are not cancelled
/// in this run either, and its detail says so.
pub(crate) fn postpone_cancels(detail: &mut String) {
    if let Some(kept) = detail.strip_suffix(CANCELLED_FIRST) {
        *detail = format!("{kept}{CANCELLED_LATER}");
    }
}

/// The cadence part of `decide_due`, leaving out the `stuck` jobs; the newest deploy of ours
/// not `cancelled` sets the cadence, and a machine due after it has been due since that
/// deploy plus `every` (one never deployed has no such moment).
fn decide_cadence(
    history: &AgentHistory,
    stuck: &[StuckDeploy],
    rack: &Rack,
    now: Timestamp,
) -> Cadence {
    let every = SignedDuration::try_from(rack.every).unwrap_or(SignedDuration::MAX);
    let is_stuck = |id: &str| stuck.iter().any(|s| s.job_id == id);
    let holding: Vec<_> = (history.jobs.iter())
        .filter(|j| !is_stuck(&j.job_id))
        .collect();
    if let Some(active) = holding.iter().find(|j| !j.has_ended()) {
        return (
            MachineState::InFlight,
            format!("job {} is {}", active.job_id, active.job_state),
            None,
        );
    }
    // Not ours (it never sets the cadence or the outcome), but a deploy behind it would
    // queue on the agent after it.
    if let Some(claim) = history.look_alikes.first() {
        return (
            MachineState::InFlight,
            format!(
                "look-alike job {} (not proven ours) is {}",
                claim.job_id, claim.job_state
            ),
            None,
        );
    }
    // A cancelled deploy is no deploy to count from: ours was stuck (never taken) or stopped
    // midway, and when our cancel succeeded but the deploy after it failed, counting it would
    // keep the machine undeployed for `every` on a job that never ran.
    let counted: Vec<_> = (holding.into_iter())
        .filter(|j| j.job_state != "cancelled")
        .collect();
    if let Some(undated) = counted.iter().find(|j| j.created_at.is_none()) {
        return (
            MachineState::HistoryUnknown,
            format!(
                "job {} has no readable created_at: when it last deployed is unknown",
                undated.job_id
            ),
            None,
        );
    }
    let last = counted.iter().filter_map(|j| j.created_at).max();
    match last {
        Some(at) if now.duration_since(at) < every => {
            let due_at = at.checked_add(every).unwrap_or(at);
            (MachineState::NotDue, format!("due at {due_at}"), None)
        }
        Some(at) => (
            MachineState::Deploy,
            format!("last deploy at {at}"),
            at.checked_add(every).ok(),
        ),
        None => (
            MachineState::Deploy,
            "never deployed by devicepool".to_string(),
            None,
        ),
    }
}

/// Our latest ended deploy and how it went, from its result when that could be read.
fn last_deploy(history: &AgentHistory) -> Option<LastDeploy> {
    let last = history.last_result.as_ref()?;
    let listed_state = || {
        history
            .jobs
            .iter()
            .find(|j| j.job_id == last.job_id)
            .map(|j| j.job_state.clone())
            .unwrap_or_default()
    };
    let (job_state, phase_status, (outcome, note)) = match &last.read {
        ResultRead::Found(result) => (
            result.job_state.clone(),
            result.phase_status.clone(),
            judge(result),
        ),
        ResultRead::NoResult => (
            listed_state(),
            BTreeMap::new(),
            (DeployOutcome::Unknown, "the server has no result".into()),
        ),
        ResultRead::Unreadable(why) => (
            listed_state(),
            BTreeMap::new(),
            (
                DeployOutcome::Unknown,
                format!("result not readable: {why}"),
            ),
        ),
    };
    Some(LastDeploy {
        job_id: last.job_id.clone(),
        job_state,
        phase_status,
        outcome,
        note,
    })
}

/// Failed when any phase exited non-zero (the first such is named) or the job was cancelled,
/// including a deploy cancelled before provision: it ends `complete` with only setup and cleanup
/// statuses, so reported phases without a provision status mean the machine was not provisioned;
/// ok when every reported phase, provision among them, exited 0; unknown when none reported.
fn judge(result: &TestflingerResult) -> (DeployOutcome, String) {
    let rank = |phase: &str| PHASE_ORDER.iter().position(|p| *p == phase);
    let failed = result
        .phase_status
        .iter()
        .filter(|(_, code)| **code != 0)
        .min_by_key(|(phase, _)| (rank(phase).unwrap_or(PHASE_ORDER.len()), phase.as_str()));
    match failed {
        Some((phase, code)) => (DeployOutcome::Failed, format!("{phase} exit {code}")),
        None if result.job_state == "cancelled" => (DeployOutcome::Failed, "cancelled".into()),
        None if result.phase_status.is_empty() => (
            DeployOutcome::Unknown,
            format!("{}, no phase reported", result.job_state),
        ),
        None if result.provision_status().is_none() => (
            DeployOutcome::Failed,
            "cancelled before provision, not provisioned".into(),
        ),
        None => (DeployOutcome::Ok, String::new()),
    }
}

/// A rack not planned: its reason in both places.
pub(crate) fn held_rack(name: &str, (status, reason): (PoolStatus, String)) -> RackPlan {
    RackPlan {
        rollout: None,
        rack: name.to_string(),
        status,
        reason,
        deploys: Vec::new(),
        machines: Vec::new(),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
