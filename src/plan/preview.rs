//! The plan `devicepool render` shows: one start per device pool, one deploy per rack and one
//! runner start per runner pool, made without reading any API. Pure.

use jiff::Timestamp;

use super::Origin;
use super::model::{
    Deploy, DevicePoolPlan, PLAN_FORMAT, Plan, PoolStatus, RackPlan, RunnerPoolPlan, RunnerStart,
    StartJob,
};
use crate::load::Desired;

/// A plan that starts one job per device pool on `udid` (or the pool's first device), deploys
/// `agent` once per rack and starts one runner per runner pool, made without reading any API:
/// what `devicepool render` shows.
pub fn preview(
    desired: &Desired,
    origin: &Origin,
    only_pool: Option<&str>,
    udid: Option<&str>,
    agent: Option<&str>,
) -> Plan {
    let agent = agent.unwrap_or("example-agent");
    let racks = desired
        .racks
        .keys()
        .filter(|name| only_pool.is_none_or(|p| p == name.as_str()))
        .map(|name| RackPlan {
            rack: name.clone(),
            status: PoolStatus::Planned,
            reason: "preview".into(),
            deploys: vec![Deploy {
                agent: agent.to_string(),
                // No agent list is read: the agent's name stands in for its own queue.
                queue: agent.to_string(),
                tags: crate::reconcilers::racks::conventions::job_tags(name, agent),
                job_file: String::new(),
                preconditions: Vec::new(),
            }],
            machines: Vec::new(),
        })
        .collect();
    let program = desired
        .sources
        .lambdatest
        .as_ref()
        .map_or("tcdp", |lt| lt.program_label.as_str());
    let device_pools = desired
        .device_pools
        .iter()
        .filter(|(name, _)| only_pool.is_none_or(|p| p == name.as_str()))
        .map(|(name, pool)| {
            let udid = udid
                .or(pool.devices.first().map(String::as_str))
                .unwrap_or_default();
            DevicePoolPlan {
                pool: name.clone(),
                task_queue: pool.task_queue.clone(),
                status: PoolStatus::Planned,
                reason: "preview".into(),
                numbers: None,
                bound: None,
                starts: vec![StartJob {
                    udid: udid.to_string(),
                    labels: vec![program.to_string(), name.clone(), udid.to_string()],
                    job_file: String::new(),
                    preconditions: Vec::new(),
                }],
                devices: Vec::new(),
            }
        })
        .collect();
    // No clock here: the runner's name carries the preview's time, the epoch (stamp 0).
    let stamp = Timestamp::UNIX_EPOCH.as_second();
    let runner_pools = desired
        .runner_pools
        .iter()
        .filter(|(name, _)| only_pool.is_none_or(|p| p == name.as_str()))
        .map(|(name, pool)| RunnerPoolPlan {
            pool: name.clone(),
            status: PoolStatus::Planned,
            reason: "preview".into(),
            numbers: None,
            starts: vec![RunnerStart {
                name: crate::reconcilers::runner_pools::conventions::runner_name(name, stamp, 1),
                tags: pool.tags.clone(),
                container_spec: String::new(),
            }],
            removals: Vec::new(),
            runners: Vec::new(),
        })
        .collect();
    Plan {
        format: PLAN_FORMAT,
        devicepool: env!("CARGO_PKG_VERSION").to_string(),
        config_path: origin.config_path.clone(),
        config_hash: origin.config_hash.clone(),
        snapshot_at: Timestamp::UNIX_EPOCH,
        expires_at: Timestamp::UNIX_EPOCH,
        replayed: false,
        device_pools,
        racks,
        runner_pools,
    }
}
