//! The rack rules: deploy agent A of rack R when A's name is the hostname of one of R's MAAS
//! machines, the machine is usable, A is in the right location, serves a queue no other agent
//! serves and polls, is `waiting` without a job, has no active job of ours that can still
//! start (a stuck one is cancelled first), its last deploy is older than `every`, its
//! provisioning fail streak is within the limit, and the per-run cap allows it; then machines
//! whose last deploy ran an outdated spec, within what is left (`redeploy.rs`). Pure: data
//! in, data out, `now` passed in.

use jiff::{SignedDuration, Timestamp};

use super::config::Rack;
use super::conventions::job_tags;
use super::eligibility::{QueueServers, gate};
use super::model::{Deploy, MachineDecision, MachineState, RackPlan, StuckDeploy};
use super::outcome::last_deploy;
use super::redeploy::{Draft, roll_out};
use super::stuck::stuck_deploys;
use crate::load::Desired;
use crate::reconcilers::PoolStatus;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::{disabled, unplanned};
use crate::snapshot::Snapshot;
use crate::snapshot::{AgentHistory, RackState, TestflingerAgent};

/// Plans every rack of `desired`, in name order, then its roll-out; a machine in two racks
/// is deployed by the first only.
pub(crate) fn plan_all(desired: &Desired, snapshot: &Snapshot) -> Vec<RackPlan> {
    let no_agents = Vec::new();
    let agents = snapshot.agents.as_ref().unwrap_or(&no_agents);
    let servers = QueueServers::count(agents, desired);
    let racks = (desired.racks.iter())
        .map(|(name, rack)| {
            let state = if rack.disabled {
                Err(disabled())
            } else {
                match (snapshot.racks.get(name), &snapshot.agents) {
                    (Some(Ok(state)), Ok(_)) => Ok(state),
                    (state, agents) => {
                        let state_failure = state.and_then(|s| s.as_ref().err());
                        Err(unplanned(&[state_failure, agents.as_ref().err()]))
                    }
                }
            };
            (name.as_str(), rack, state)
        })
        .collect();
    let read = (agents.as_slice(), &servers);
    let owner = Ownership::of(desired);
    claim_each_agent_once(plan_read(racks, read, (owner, snapshot.taken_at)))
}

/// A rack to plan: its name, its desired state, and what was read of it or why it is held.
pub(crate) type ToPlan<'a> = (
    &'a str,
    &'a Rack,
    Result<&'a RackState, (PoolStatus, String)>,
);

/// Plans each rack from what was read of it (a rack not read is held), then rolls out the
/// racks' changed specs, each after its canary rack (`redeploy.rs`).
pub(crate) fn plan_read(
    racks: Vec<ToPlan<'_>>,
    agents: (&[TestflingerAgent], &QueueServers<'_>),
    (owner, now): (Ownership<'_>, Timestamp),
) -> Vec<RackPlan> {
    let drafts = (racks.into_iter())
        .map(|(name, rack, state)| match state {
            Ok(state) => {
                let (plan, spare) = plan_rack((name, rack), state, agents, (owner, now));
                Draft {
                    rack,
                    plan,
                    spare,
                    state: Some(state),
                }
            }
            Err(held) => Draft {
                rack,
                plan: held_rack(name, held),
                spare: Vec::new(),
                state: None,
            },
        })
        .collect();
    roll_out(drafts, agents.0)
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

/// Plans one rack from fresh data: its plan on the cadence, and the deploy each machine not
/// yet due (but deployable apart from `every`) would get, for its roll-out.
fn plan_rack(
    (name, rack): (&str, &Rack),
    state: &RackState,
    (agents, servers): (&[TestflingerAgent], &QueueServers<'_>),
    (owner, now): (Ownership<'_>, Timestamp),
) -> (RackPlan, Vec<Deploy>) {
    let mut machines = Vec::new();
    let mut deploys = Vec::new();
    let mut spare = Vec::new();
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
        let deploy = || {
            let mut preconditions = vec![
                format!("agent {host} is waiting without a job"),
                format!("no active job of ours targets {host}"),
            ];
            preconditions.extend(
                (stuck.iter()).map(|s| format!("job {} is ours and still waiting", s.job_id)),
            );
            Deploy {
                agent: host.to_string(),
                queue: gated.clone().unwrap_or_default().to_string(),
                tags: job_tags(&owner, name, host, rack.spec.as_deref()),
                job_file: String::new(),
                preconditions,
                cancel_first: stuck.clone(),
            }
        };
        let state = match state {
            MachineState::Deploy if deploys.len() < rack.max_deploys_per_run as usize => {
                due += 1;
                deploys.push(deploy());
                MachineState::Deploy
            }
            MachineState::Deploy => {
                due += 1;
                postpone_cancels(&mut detail);
                MachineState::Capped
            }
            MachineState::NotDue => {
                spare.push(deploy());
                MachineState::NotDue
            }
            other => other,
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
    let plan = RackPlan {
        rollout: None,
        rack: name.to_string(),
        status: PoolStatus::Planned,
        reason,
        deploys,
        machines,
    };
    (plan, spare)
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
