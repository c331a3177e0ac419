//! What `devicepool render` shows of runner pools: one runner start per pool, named for the
//! epoch, made without reading any API. Pure.

use jiff::Timestamp;

use super::conventions::runner_name;
use super::model::{RunnerPoolPlan, RunnerStart};
use crate::load::Desired;
use crate::reconcilers::{PoolStatus, Preview};

/// What `devicepool render` shows of runner pools, made without reading any API: one runner
/// start per pool (or only `preview.only`).
pub(crate) fn preview(desired: &Desired, preview: &Preview<'_>) -> Vec<RunnerPoolPlan> {
    // No clock here: the runner's name carries the preview's time, the epoch (stamp 0).
    let stamp = Timestamp::UNIX_EPOCH.as_second();
    desired
        .runner_pools
        .iter()
        .filter(|(name, _)| preview.only.is_none_or(|p| p == name.as_str()))
        .map(|(name, pool)| RunnerPoolPlan {
            rollout: None,
            pool: name.clone(),
            status: PoolStatus::Planned,
            reason: "preview".into(),
            numbers: None,
            starts: vec![RunnerStart {
                name: runner_name(name, stamp, 1),
                tags: pool.tags.clone(),
                container_spec: String::new(),
                replaces: None,
            }],
            removals: Vec::new(),
            pauses: Vec::new(),
            runners: Vec::new(),
            schedule: None,
            schedule_period: None,
            thresholds: None,
            orphans: Vec::new(),
            docker_api: None,
            hosts: Vec::new(),
        })
        .collect()
}
