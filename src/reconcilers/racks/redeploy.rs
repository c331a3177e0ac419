//! A rack's roll-out: which machines' last deploy ran an older spec than the rack renders now
//! (the newest deploy of ours per agent, judged by the rack's two spec searches), how each
//! generation fares (the new spec's from its newest deploys' results, an older one's from the
//! agent's provision streak), the shared `decide` (after the canary rack's facts), and the
//! outdated machines redeployed before `every` comes round with what the cadence left of
//! `max_deploys_per_run`. Pure; it never
//! deploys a machine the cadence rules did not find deployable apart from `every`.

use super::config::Rack;
use super::model::{Deploy, DeployOutcome, MachineState, RackPlan};
use super::outcome::outcome_of;
use crate::reconcilers::PoolStatus;
use crate::reconcilers::rollout::{Fared, RolloutFacts, RolloutPlan, RolloutState, decide};
use crate::snapshot::{AgentHistory, RackState, SpecJobs, TestflingerAgent, TestflingerJob};

/// One rack planned on the cadence, before its roll-out.
pub(crate) struct Draft<'a> {
    pub rack: &'a Rack,
    pub plan: RackPlan,
    /// The deploy each machine not yet due would get (deployable apart from `every`).
    pub spare: Vec<Deploy>,
    /// What was read of the rack; `None` when it is held.
    pub state: Option<&'a RackState>,
}

/// Fills every planned rack's roll-out and adds its redeploys, each rack after its canary.
pub(crate) fn roll_out(drafts: Vec<Draft<'_>>, agents: &[TestflingerAgent]) -> Vec<RackPlan> {
    let facts: Vec<Option<Result<RolloutFacts, String>>> =
        drafts.iter().map(|d| rollout_facts(d, agents)).collect();
    let of_rack = |name: &str| {
        let at = drafts.iter().position(|d| d.plan.rack == name)?;
        facts[at].as_ref()?.as_ref().ok()
    };
    let decided: Vec<Option<RolloutPlan>> = (drafts.iter().zip(&facts))
        .map(|(draft, facts)| {
            let spec = draft.rack.spec.clone()?;
            Some(match facts.as_ref()? {
                Ok(facts) => {
                    let policy = &draft.rack.rollout;
                    let pool = policy.canary.as_ref().and_then(|c| c.pool.as_deref());
                    decide(policy, facts.clone(), pool.map(|p| (p, of_rack(p))))
                }
                Err(reason) => RolloutPlan {
                    spec,
                    outdated: Vec::new(),
                    replace: 0,
                    state: RolloutState::Waiting,
                    reason: reason.clone(),
                },
            })
        })
        .collect();
    (drafts.into_iter().zip(decided))
        .map(|(draft, decided)| {
            let mut plan = draft.plan;
            if let Some(decided) = decided {
                redeploy(&mut plan, draft.rack, draft.spare, decided);
            }
            plan
        })
        .collect()
}

/// Which generation a machine's newest deploy of ours ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Generation {
    Current,
    Previous,
    /// No spec marker (made before roll-outs existed): never outdated.
    Unknown,
}

/// The newest deploy of ours on an agent that was not cancelled (a cancelled deploy never
/// replaced what the machine ran) and the generation it ran.
fn newest_deploy<'h>(
    history: &'h AgentHistory,
    specs: &SpecJobs,
) -> Option<(&'h TestflingerJob, Generation)> {
    let newest = (history.jobs.iter())
        .filter(|j| j.job_state != "cancelled")
        .max_by_key(|j| j.created_at)?;
    let id = newest.job_id.as_str();
    let generation = if specs.current.contains(id) {
        Generation::Current
    } else if specs.marked.contains(id) {
        Generation::Previous
    } else {
        Generation::Unknown
    };
    Some((newest, generation))
}

/// The roll-out facts of a planned rack with a spec; `Err` says why its deploys' specs are
/// not known this run (the rack rolls nothing out). Only machines whose history was read
/// (deployable apart from `every`, or in flight) are judged.
fn rollout_facts(
    draft: &Draft<'_>,
    agents: &[TestflingerAgent],
) -> Option<Result<RolloutFacts, String>> {
    let spec = draft.rack.spec.as_deref()?;
    let state = draft.state?;
    if draft.plan.status != PoolStatus::Planned {
        return None;
    }
    if let Some(e) = &state.specs_unread {
        return Some(Err(format!("the deploys' specs were not read: {e}")));
    }
    let Some(specs) = state.specs.as_ref().filter(|s| s.spec == spec) else {
        return Some(Err(format!(
            "which deploys ran spec {spec} was not read this run"
        )));
    };
    let mut facts = RolloutFacts {
        spec: spec.to_string(),
        size: draft.plan.machines.len() as u32,
        ..RolloutFacts::default()
    };
    for machine in &draft.plan.machines {
        let host = machine.hostname.as_str();
        let Some((newest, generation)) = state
            .histories
            .get(host)
            .and_then(|h| newest_deploy(h, specs))
        else {
            continue;
        };
        let fared = match generation {
            Generation::Current => &mut facts.current,
            Generation::Previous => &mut facts.previous,
            Generation::Unknown => continue,
        };
        let history = &state.histories[host];
        let outcome = match generation {
            Generation::Current => current_outcome(history, newest),
            _ => streak_outcome(newest, agents.iter().find(|a| a.name == host)),
        };
        count_fared(fared, outcome);
        if generation == Generation::Previous {
            facts.outdated.push(host.to_string());
            if draft.spare.iter().any(|d| d.agent == host) {
                facts.replaceable += 1;
            }
        }
    }
    Some(Ok(facts))
}

/// The job id of the newest deploy of ours on an agent when it ran `specs`' current spec
/// and has ended: the one result a roll-out reads of the machine, to know how the new spec
/// fares.
pub(crate) fn ended_current_deploy<'h>(
    history: &'h AgentHistory,
    specs: &SpecJobs,
) -> Option<&'h str> {
    match newest_deploy(history, specs)? {
        (job, Generation::Current) if job.has_ended() => Some(job.job_id.as_str()),
        _ => None,
    }
}

/// How a machine's newest deploy, on the current spec, ended: from its own result
/// (`spec_result`, read for this very job), never from the agent's provision streak, which a
/// deploy that failed before provisioning leaves at the older deploy's; unknown unread.
fn current_outcome(history: &AgentHistory, newest: &TestflingerJob) -> Option<DeployOutcome> {
    if !newest.has_ended() {
        return None;
    }
    let read = history
        .spec_result
        .as_ref()
        .filter(|r| r.job_id == newest.job_id)?;
    Some(outcome_of(&read.read))
}

/// How a machine's newest deploy, on an older spec, ended, from the agent's provision streak
/// (its last provision: that deploy's or an earlier one's, an older spec either way; the
/// agent list carries it, so no request per machine).
fn streak_outcome(
    newest: &TestflingerJob,
    agent: Option<&TestflingerAgent>,
) -> Option<DeployOutcome> {
    if !newest.has_ended() {
        return None;
    }
    match agent?.provision_streak_type.as_deref() {
        Some("pass") => Some(DeployOutcome::Ok),
        Some("fail") => Some(DeployOutcome::Failed),
        _ => None,
    }
}

/// Counts a machine of a generation: proven when its newest deploy ended ok, failed when it
/// failed.
fn count_fared(fared: &mut Fared, outcome: Option<DeployOutcome>) {
    fared.total += 1;
    match outcome {
        Some(DeployOutcome::Ok) => fared.proven += 1,
        Some(DeployOutcome::Failed) => fared.failed += 1,
        _ => {}
    }
}

/// Adds the decided redeploys of outdated machines (in hostname order) after the cadence's
/// deploys, within what is left of `max_deploys_per_run`; marks each machine `outdated`.
fn redeploy(plan: &mut RackPlan, rack: &Rack, spare: Vec<Deploy>, mut decided: RolloutPlan) {
    let room = (rack.max_deploys_per_run as usize).saturating_sub(plan.deploys.len());
    let wanted = decided.replace as usize;
    let chosen: Vec<Deploy> = (spare.into_iter())
        .filter(|d| decided.outdated.contains(&d.agent))
        .take(wanted.min(room))
        .collect();
    if chosen.len() < wanted {
        let left = chosen.len();
        decided.reason = format!(
            "{}; max_deploys_per_run leaves room for {left} after the machines due",
            decided.reason
        );
        decided.replace = left as u32;
        if left == 0 {
            decided.state = RolloutState::Waiting;
        }
    }
    let count = chosen.len();
    for (k, deploy) in chosen.into_iter().enumerate() {
        if let Some(m) = (plan.machines.iter_mut()).find(|m| m.hostname == deploy.agent) {
            m.state = MachineState::Outdated;
            m.detail = format!(
                "spec outdated → {}, roll-out {} of {count}; {}",
                decided.spec,
                k + 1,
                m.detail
            );
        }
        plan.deploys.push(deploy);
    }
    if count > 0 {
        plan.reason = format!("{}; redeploying {count} outdated", plan.reason);
    }
    plan.rollout = Some(decided);
}

#[cfg(test)]
#[path = "redeploy_tests.rs"]
mod tests;
