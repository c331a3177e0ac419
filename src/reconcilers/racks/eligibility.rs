//! Which machines of a rack may be deployed at all, before any job history: an agent with the
//! machine's hostname, a usable MAAS status, the right location, a queue of its own that it
//! polls (a permitted restricted one when it has any), `waiting` without a job, within the
//! fail streak. Used by `observe.rs` (whose histories to read) and
//! `rules.rs` (the decision). Pure.

use std::collections::BTreeMap;

use super::config::Rack;
use super::model::MachineState;
use crate::load::Desired;
use crate::snapshot::{MaasMachine, TestflingerAgent};

/// How many agents list each queue, over every agent of `/v1/agents/data`, and the client we
/// submit as (an owner of a restricted queue may submit to it).
pub struct QueueServers<'a> {
    servers: BTreeMap<&'a str, usize>,
    client_id: Option<&'a str>,
}

impl<'a> QueueServers<'a> {
    pub fn count(agents: &'a [TestflingerAgent], desired: &'a Desired) -> QueueServers<'a> {
        let mut servers = BTreeMap::new();
        for agent in agents {
            let mut own: Vec<&str> = agent.queues.iter().map(String::as_str).collect();
            own.sort_unstable();
            own.dedup();
            for queue in own {
                *servers.entry(queue).or_default() += 1;
            }
        }
        let source = desired.sources.testflinger.as_ref();
        let client_id = source.and_then(|tf| tf.client_id.as_deref());
        QueueServers { servers, client_id }
    }

    fn is_private(&self, queue: &str) -> bool {
        self.servers.get(queue) == Some(&1)
    }

    /// The queue to deploy `agent` through: among the queues it polls, the first in its own
    /// `queues` order that only it lists. A job on a shared queue could run on another
    /// machine; on a queue nobody serves it would wait forever (the server accepts any queue
    /// name). An agent with owned restricted queues polls only those: one is used only when
    /// the rack lists it in `restricted_queues` and our client is among its owners.
    pub fn deploy_queue<'b>(
        &self,
        rack: &Rack,
        agent: &'b TestflingerAgent,
    ) -> Result<&'b str, (MachineState, String)> {
        let polled = agent.polled_queues();
        let owned = |q: &&str| agent.restricted_to.get(*q).is_some_and(|o| !o.is_empty());
        let restricted = polled.iter().any(owned);
        if !restricted {
            return match polled.iter().find(|q| self.is_private(q)) {
                Some(queue) => Ok(*queue),
                None if polled.is_empty() => Err("the agent lists no queue".into()),
                None => Err(format!(
                    "every queue it lists is served by another agent too: {}",
                    polled.join(", ")
                )),
            }
            .map_err(|why| (MachineState::NoPrivateQueue, why));
        }
        let refusal = |queue: &str| -> Option<String> {
            let owners = agent.restricted_to.get(queue).cloned().unwrap_or_default();
            if !rack.restricted_queues.iter().any(|q| q == queue) {
                Some("not listed in the rack's restricted_queues".into())
            } else if !self
                .client_id
                .is_some_and(|id| owners.iter().any(|o| o == id))
            {
                let client = self
                    .client_id
                    .map_or("anonymous (no client_id)".into(), |id| {
                        format!("client {id}")
                    });
                Some(format!(
                    "{client} not permitted (owners: {})",
                    owners.join(", ")
                ))
            } else if !self.is_private(queue) {
                Some("served by another agent too".into())
            } else {
                None
            }
        };
        if let Some(queue) = polled.iter().find(|q| refusal(q).is_none()) {
            return Ok(*queue);
        }
        let why: Vec<String> = (polled.iter())
            .filter_map(|q| refusal(q).map(|r| format!("{q}: {r}")))
            .collect();
        Err((
            MachineState::RestrictedQueue,
            format!(
                "agent serves only restricted queue(s) {}; {}",
                polled.join(", "),
                why.join("; ")
            ),
        ))
    }
}

/// MAAS statuses in which a machine must not be deployed: out of service, in or around rescue
/// mode, on its way between states, or stuck after a failed step that needs an operator.
/// `Failed deployment` is not among them: a failed provision is what redeploying retries, and
/// `max_fail_streak` bounds how often.
pub(crate) fn is_unusable(status_name: &str) -> bool {
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

/// The checks that need no job history: an agent exists, the machine is usable, the agent
/// is in the right location, serves a queue of its own, is `waiting` without a job, and is
/// within the fail-streak limit. Gives the agent's queue. `observe.rs` reads histories only
/// for agents that pass.
pub(crate) fn gate<'a>(
    rack: &Rack,
    machine: &MaasMachine,
    agent: Option<&'a TestflingerAgent>,
    servers: &QueueServers<'_>,
) -> Result<&'a str, (MachineState, String)> {
    let Some(a) = agent else {
        return Err((
            MachineState::AgentNotFound,
            "no Testflinger agent with this name".into(),
        ));
    };
    if let Some(flaw) = crate::load::identifier_flaw(&a.name) {
        return Err((
            MachineState::UnusableName,
            format!("agent name {:?} {flaw}: it cannot become a tag", a.name),
        ));
    }
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
    let queue = servers.deploy_queue(rack, a)?;
    if let Some(flaw) = crate::load::identifier_flaw(queue) {
        return Err((
            MachineState::UnusableName,
            format!("queue {queue:?} {flaw}"),
        ));
    }
    if a.state != "waiting" {
        return Err((MachineState::NotWaiting, format!("agent is {}", a.state)));
    }
    // Agents post `job_id` before they change `state`: one that has just taken a job still
    // says `waiting`.
    if let Some(job) = &a.job_id {
        return Err((
            MachineState::NotWaiting,
            format!("agent is waiting but has taken job {job}"),
        ));
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
    Ok(queue)
}

#[cfg(test)]
#[path = "eligibility_tests.rs"]
mod tests;
