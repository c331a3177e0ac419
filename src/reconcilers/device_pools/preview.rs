//! What `devicepool render` shows of device pools: one start per pool on a chosen or the
//! first device, made without reading any API. Pure.

use super::conventions::job_labels;
use super::model::{DevicePoolPlan, StartJob};
use crate::load::Desired;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::{PoolStatus, Preview};

/// What `devicepool render` shows of device pools, made without reading any API: one start per
/// pool (or only `preview.only`), on `preview.udid` or the pool's first device.
pub(crate) fn preview(desired: &Desired, preview: &Preview<'_>) -> Vec<DevicePoolPlan> {
    let program = desired
        .sources
        .lambdatest
        .as_ref()
        .map_or("tcdp", |lt| lt.program_label.as_str());
    let owner = Ownership::of(desired);
    desired
        .device_pools
        .iter()
        .filter(|(name, _)| preview.only.is_none_or(|p| p == name.as_str()))
        .map(|(name, pool)| {
            let group = pool
                .group
                .as_ref()
                .and_then(|g| desired.device_groups.get(g));
            let listed = group.map_or(&pool.devices, |g| &g.devices);
            let udid = preview
                .udid
                .or(listed.first().map(String::as_str))
                .unwrap_or_default();
            DevicePoolPlan {
                rollout: None,
                generations: Vec::new(),
                pool: name.clone(),
                task_queue: pool.task_queue.clone(),
                status: PoolStatus::Planned,
                reason: "preview".into(),
                numbers: None,
                bound: None,
                group: None,
                schedule: None,
                schedule_period: None,
                starts: vec![StartJob {
                    udid: udid.to_string(),
                    labels: job_labels(program, &owner, name, udid),
                    job_file: String::new(),
                    preconditions: Vec::new(),
                }],
                devices: Vec::new(),
            }
        })
        .collect()
}
