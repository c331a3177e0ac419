//! How our last deploy of a machine ended, from its result when that could be read: ok, failed
//! (the first failed phase named) or unknown. Pure.

use std::collections::BTreeMap;

use super::model::{DeployOutcome, LastDeploy};
use crate::snapshot::{AgentHistory, ResultRead, TestflingerResult};

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

/// Our latest ended deploy and how it went, from its result when that could be read.
pub(crate) fn last_deploy(history: &AgentHistory) -> Option<LastDeploy> {
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

/// How the deploy whose result was `read` ended: ok, failed, or unknown when the result is
/// missing, unreadable or says nothing.
pub(crate) fn outcome_of(read: &ResultRead) -> DeployOutcome {
    match read {
        ResultRead::Found(result) => judge(result).0,
        ResultRead::NoResult | ResultRead::Unreadable(_) => DeployOutcome::Unknown,
    }
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
