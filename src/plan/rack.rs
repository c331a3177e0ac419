//! The rack rules: deploy agent A of rack R when A's name is the hostname of one of R's MAAS
//! machines, the machine is usable, A is `waiting` in the right location, has no active job of
//! ours, its last deploy is older than `every`, its provisioning fail streak is within the
//! limit, and the per-run cap allows it. Pure: data in, data out, `now` passed in.

use jiff::{SignedDuration, Timestamp};

use super::model::{Deploy, LastDeploy, MachineDecision, MachineState, PoolStatus, RackPlan};
use crate::load::Rack;
use crate::snapshot::{AgentHistory, MaasMachine, RackState, TestflingerAgent};
use crate::sources::racks::job_tags;

/// MAAS statuses in which a machine must not be deployed: out of service, in or around rescue
/// mode, on its way between states, or stuck after a failed step that needs an operator.
/// `Failed deployment` is not among them: a failed provision is what redeploying retries, and
/// `max_fail_streak` bounds how often.
fn is_unusable(status_name: &str) -> bool {
    matches!(
        status_name,
        "Broken"
            | "Missing"
            | "Retired"
            | "Rescue mode"
            | "Entering rescue mode"
            | "Exiting rescue mode"
            | "Failed to enter rescue mode"
            | "Failed to exit rescue mode"
            | "Commissioning"
            | "Failed commissioning"
            | "Deploying"
            | "Releasing"
            | "Releasing failed"
            | "Disk erasing"
            | "Failed disk erasing"
            | "Testing"
            | "Failed testing"
    )
}

/// Plans one rack from fresh data.
pub(super) fn plan_rack(
    name: &str,
    rack: &Rack,
    state: &RackState,
    agents: &[TestflingerAgent],
    now: Timestamp,
) -> RackPlan {
    let every = SignedDuration::try_from(rack.every).unwrap_or(SignedDuration::MAX);
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
        let (state, detail) = match (agent, gate(rack, machine, agent)) {
            (_, Err(refusal)) => refusal,
            (Some(_), Ok(())) => match history {
                None => (MachineState::NotWaiting, "job history not read".to_string()),
                Some(history) => decide_due(history, every, now),
            },
            (None, Ok(())) => unreachable!("the gate refuses machines without an agent"),
        };
        let state = if state == MachineState::Deploy {
            due += 1;
            if deploys.len() < rack.max_deploys_per_run as usize {
                deploys.push(Deploy {
                    agent: host.to_string(),
                    tags: job_tags(name, host),
                    job_file: String::new(),
                    preconditions: vec![
                        format!("agent {host} is waiting"),
                        format!("no active job of ours targets {host}"),
                    ],
                });
                MachineState::Deploy
            } else {
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
        rack: name.to_string(),
        status: PoolStatus::Planned,
        reason,
        deploys,
        machines,
    }
}

/// The checks that need no job history: an agent exists, the machine is usable, the agent
/// is in the right location, `waiting`, and within the fail-streak limit. Sources read
/// histories only for agents that pass.
pub fn gate(
    rack: &Rack,
    machine: &MaasMachine,
    agent: Option<&TestflingerAgent>,
) -> Result<(), (MachineState, String)> {
    let Some(a) = agent else {
        return Err((
            MachineState::AgentNotFound,
            "no Testflinger agent with this name".into(),
        ));
    };
    if is_unusable(&machine.status_name) {
        return Err((
            MachineState::MachineStatus,
            format!("MAAS status {}", machine.status_name),
        ));
    }
    if let Some(loc) = rack.agent_location.as_deref()
        && !a.location.contains(loc)
    {
        return Err((
            MachineState::OtherLocation,
            format!("location {:?}", a.location),
        ));
    }
    if a.state != "waiting" {
        return Err((MachineState::NotWaiting, format!("agent is {}", a.state)));
    }
    let streak = a.provision_streak_count.unwrap_or(0);
    if a.provision_streak_type.as_deref() == Some("fail") && streak > rack.max_fail_streak {
        return Err((
            MachineState::FailStreak,
            format!(
                "{streak} failed provisions in a row (limit {})",
                rack.max_fail_streak
            ),
        ));
    }
    Ok(())
}

/// In flight, not yet due, or due — from our job history on the agent.
fn decide_due(
    history: &AgentHistory,
    every: SignedDuration,
    now: Timestamp,
) -> (MachineState, String) {
    if let Some(active) = history.jobs.iter().find(|j| !j.has_ended()) {
        return (
            MachineState::InFlight,
            format!("job {} is {}", active.job_id, active.job_state),
        );
    }
    let last = history.jobs.iter().filter_map(|j| j.created_at).max();
    match last {
        Some(at) if now.duration_since(at) < every => {
            let due_at = at.checked_add(every).unwrap_or(at);
            (MachineState::NotDue, format!("due at {due_at}"))
        }
        Some(at) => (MachineState::Deploy, format!("last deploy at {at}")),
        None => (
            MachineState::Deploy,
            "never deployed by devicepool".to_string(),
        ),
    }
}

fn last_deploy(history: &AgentHistory) -> Option<LastDeploy> {
    let (job_id, result) = history.last_result.as_ref()?;
    let job_state = result
        .as_ref()
        .map(|r| r.job_state.clone())
        .or_else(|| {
            history
                .jobs
                .iter()
                .find(|j| &j.job_id == job_id)
                .map(|j| j.job_state.clone())
        })
        .unwrap_or_default();
    let provision_status = result.as_ref().and_then(|r| r.provision_status());
    Some(LastDeploy {
        failed: job_state == "cancelled" || provision_status.is_some_and(|s| s != 0),
        job_id: job_id.clone(),
        job_state,
        provision_status,
    })
}

/// A rack not planned: its reason in both places.
pub(super) fn held_rack(name: &str, (status, reason): (PoolStatus, String)) -> RackPlan {
    RackPlan {
        rack: name.to_string(),
        status,
        reason,
        deploys: Vec::new(),
        machines: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::is_unusable;

    /// Every `status_name` MAAS has (its `NODE_STATUS` table), and whether a deploy may go.
    const EVERY_STATUS: [(&str, bool); 23] = [
        ("New", true),
        ("Commissioning", false),
        ("Failed commissioning", false),
        ("Missing", false),
        ("Ready", true),
        ("Reserved", true),
        ("Deployed", true),
        ("Retired", false),
        ("Broken", false),
        ("Deploying", false),
        ("Allocated", true),
        ("Failed deployment", true),
        ("Releasing", false),
        ("Releasing failed", false),
        ("Disk erasing", false),
        ("Failed disk erasing", false),
        ("Rescue mode", false),
        ("Entering rescue mode", false),
        ("Failed to enter rescue mode", false),
        ("Exiting rescue mode", false),
        ("Failed to exit rescue mode", false),
        ("Testing", false),
        ("Failed testing", false),
    ];

    #[test]
    fn every_maas_status_is_classed_and_transitions_and_failures_are_unusable() {
        for (name, usable) in EVERY_STATUS {
            assert!(
                crate::sim::maas::status_code(name).is_some(),
                "{name:?} is not a MAAS status_name"
            );
            assert_eq!(!is_unusable(name), usable, "{name}");
        }
    }
}
