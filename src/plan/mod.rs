//! PLAN: the pure planner. `plan` turns (desired state, snapshot, now) into a `Plan`; it
//! reads no clock, does no I/O and orders everything deterministically.

mod budget;
#[cfg(test)]
mod budget_tests;
pub mod model;
mod preview;
pub(crate) mod recheck;
#[cfg(test)]
mod tests;

use jiff::SignedDuration;

use crate::clients::http::ApiError;
use crate::load::Desired;
use crate::reconcilers::device_pools::rules as device_pool;
use crate::reconcilers::racks::rules as rack;
use crate::reconcilers::runner_pools::rules as runner_pool;
use crate::snapshot::Snapshot;
pub use model::*;
pub use preview::preview;
pub use recheck::{Drift, Recheck, recheck};

/// Where the desired state came from, recorded in the plan.
#[derive(Debug, Clone)]
pub struct Origin {
    pub config_path: String,
    pub config_hash: String,
}

/// Computes the plan. Pools are visited in name order; the org-wide `max_initiated` headroom
/// is shared out one start at a time, round-robin, so no pool starves another.
pub fn plan(desired: &Desired, snapshot: &Snapshot, origin: &Origin) -> Plan {
    let now = snapshot.taken_at;
    let mut pools: Vec<DevicePoolPlan> = Vec::new();
    let mut assessed = Vec::new();
    let lt_config = desired.sources.lambdatest.as_ref();
    for (name, pool) in &desired.device_pools {
        let unplanned_pool = |(status, reason): (PoolStatus, String)| DevicePoolPlan {
            pool: name.clone(),
            task_queue: pool.task_queue.clone(),
            status,
            reason,
            numbers: None,
            bound: None,
            starts: Vec::new(),
            devices: Vec::new(),
        };
        if pool.disabled {
            pools.push(unplanned_pool(disabled()));
            continue;
        }
        let queue = snapshot.queues.get(&pool.task_queue);
        match (lt_config, queue, &snapshot.lambdatest) {
            (Some(lt_config), Some(Ok(queue)), Ok(lambdatest)) => {
                assessed.push(device_pool::assess(
                    name, pool, lt_config, queue, lambdatest, now,
                ));
            }
            _ => {
                let queue_failure = queue.and_then(|q| q.as_ref().err());
                let failures = [queue_failure, snapshot.lambdatest.as_ref().err()];
                pools.push(unplanned_pool(unplanned(&failures)));
            }
        }
    }

    if let (Some(lt_config), Ok(lambdatest)) = (lt_config, &snapshot.lambdatest) {
        let org_initiated = lambdatest
            .jobs
            .iter()
            .filter(|j| j.status == "initiated")
            .count() as u32;
        let headroom = lt_config.max_initiated.saturating_sub(org_initiated);
        let wants: Vec<u32> = assessed.iter().map(|a| a.want).collect();
        let grants = budget::share_round_robin(headroom, &wants);
        for (mut assessment, granted) in assessed.into_iter().zip(grants) {
            if let Some(numbers) = assessment.plan.numbers.as_mut() {
                numbers.org_initiated = org_initiated;
                numbers.max_initiated = lt_config.max_initiated;
            }
            pools.push(device_pool::decide(
                assessment,
                granted,
                &lt_config.program_label,
            ));
        }
    }
    pools.sort_by(|a, b| a.pool.cmp(&b.pool));
    let racks = desired
        .racks
        .iter()
        .map(|(name, rack)| {
            if rack.disabled {
                return rack::held_rack(name, disabled());
            }
            match (snapshot.racks.get(name), &snapshot.agents) {
                (Some(Ok(state)), Ok(agents)) => rack::plan_rack(name, rack, state, agents, now),
                (state, agents) => {
                    let state_failure = state.and_then(|s| s.as_ref().err());
                    let failures = [state_failure, agents.as_ref().err()];
                    rack::held_rack(name, unplanned(&failures))
                }
            }
        })
        .collect();
    let racks = claim_each_agent_once(racks);
    let runner_pools = desired
        .runner_pools
        .iter()
        .map(|(name, pool)| {
            if pool.disabled {
                return runner_pool::held_runner_pool(name, disabled());
            }
            match snapshot.runner_pools.get(name) {
                Some(Ok(state)) => runner_pool::plan_runner_pool(name, pool, state, now),
                Some(Err(e)) => runner_pool::held_runner_pool(name, unplanned(&[Some(e)])),
                None => runner_pool::held_runner_pool(name, unplanned(&[])),
            }
        })
        .collect();
    let mut plan = Plan {
        format: PLAN_FORMAT,
        devicepool: env!("CARGO_PKG_VERSION").to_string(),
        config_path: origin.config_path.clone(),
        config_hash: origin.config_hash.clone(),
        snapshot_at: now,
        expires_at: SignedDuration::try_from(desired.settings.plan_lifetime)
            .ok()
            .and_then(|lifetime| now.checked_add(lifetime).ok())
            .unwrap_or(now),
        replayed: false,
        device_pools: pools,
        racks,
        runner_pools,
    };
    if let Some(cap) = desired.settings.max_actions_per_run {
        budget::apply_global_cap(&mut plan, cap);
    }
    plan
}

/// A pool or rack not planned because its data is missing: held, naming every source that
/// failed (each once), so one failure does not hide another until the next run.
fn unplanned(failures: &[Option<&ApiError>]) -> (PoolStatus, String) {
    let mut distinct: Vec<&ApiError> = Vec::new();
    for failure in failures.iter().flatten() {
        if !distinct.contains(failure) {
            distinct.push(failure);
        }
    }
    let shown: Vec<String> = distinct.iter().map(ToString::to_string).collect();
    let reason = match shown.as_slice() {
        [] => "source not read".to_string(),
        [one] => format!("source failed: {one}"),
        many => format!("{} sources failed: {}", many.len(), many.join("; ")),
    };
    (
        PoolStatus::Held {
            reason: reason.clone(),
        },
        reason,
    )
}

/// A pool or rack switched off in the desired state.
fn disabled() -> (PoolStatus, String) {
    (PoolStatus::Disabled, "disabled in the desired state".into())
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

impl Plan {
    /// Every entry of every kind, in plan order: device pools, racks, runner pools.
    pub fn entries(&self) -> impl Iterator<Item = &dyn KindPlan> {
        let pools = self.device_pools.iter().map(|p| p as &dyn KindPlan);
        let racks = self.racks.iter().map(|r| r as &dyn KindPlan);
        let runner_pools = self.runner_pools.iter().map(|p| p as &dyn KindPlan);
        pools.chain(racks).chain(runner_pools)
    }

    /// Every entry of every kind, mutable, in the same order as [`Plan::entries`].
    pub fn entries_mut(&mut self) -> impl Iterator<Item = &mut dyn KindPlan> {
        let pools = self.device_pools.iter_mut().map(|p| p as &mut dyn KindPlan);
        let racks = self.racks.iter_mut().map(|r| r as &mut dyn KindPlan);
        let runner_pools = self.runner_pools.iter_mut().map(|p| p as &mut dyn KindPlan);
        pools.chain(racks).chain(runner_pools)
    }

    /// Total actions: jobs to start, machines to deploy, runners to start or remove.
    pub fn start_count(&self) -> usize {
        self.entries().map(KindPlan::action_count).sum()
    }

    /// Names and reasons of everything held.
    pub fn held(&self) -> Vec<(String, String)> {
        self.entries()
            .filter(|e| matches!(e.status(), PoolStatus::Held { .. }))
            .map(|e| (e.name().to_string(), e.reason().to_string()))
            .collect()
    }
}
