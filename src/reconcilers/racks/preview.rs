//! What `devicepool render` shows of racks: one deploy of a named (or example) agent per
//! rack, made without reading any API. Pure.

use super::conventions::job_tags;
use super::model::{Deploy, RackPlan};
use crate::load::Desired;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::{PoolStatus, Preview};

/// What `devicepool render` shows of racks, made without reading any API: one deploy of
/// `preview.agent` (or `example-agent`) per rack (or only `preview.only`).
pub(crate) fn preview(desired: &Desired, preview: &Preview<'_>) -> Vec<RackPlan> {
    let agent = preview.agent.unwrap_or("example-agent");
    desired
        .racks
        .iter()
        .filter(|(name, _)| preview.only.is_none_or(|p| p == name.as_str()))
        .map(|(name, rack)| RackPlan {
            rollout: None,
            rack: name.clone(),
            status: PoolStatus::Planned,
            reason: "preview".into(),
            deploys: vec![Deploy {
                agent: agent.to_string(),
                // No agent list is read: the agent's name stands in for its own queue.
                queue: agent.to_string(),
                tags: job_tags(&Ownership::of(desired), name, agent, rack.spec.as_deref()),
                job_file: String::new(),
                preconditions: Vec::new(),
                cancel_first: Vec::new(),
            }],
            machines: Vec::new(),
        })
        .collect()
}
