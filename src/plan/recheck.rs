//! Re-checking a saved plan against a fresh one: which planned starts still rest on true
//! facts (device still free, pool not held, demand still there, org headroom left) and which
//! drifted. Pure: two plans in, a verdict out.

use std::collections::BTreeMap;

use super::model::{
    Deploy, DeviceState, MachineState, Plan, PoolStatus, RunnerRemoval, RunnerStart, StartJob,
    word_of,
};

/// A saved start that still holds, or the reason it does not.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Keep {
        pool: String,
        start: StartJob,
    },
    KeepDeploy {
        rack: String,
        deploy: Deploy,
    },
    KeepRunnerStart {
        pool: String,
        start: RunnerStart,
    },
    KeepRemoval {
        pool: String,
        removal: RunnerRemoval,
    },
    Drifted {
        pool: String,
        udid: String,
        reason: String,
    },
}

/// Checks every start of `saved` against `fresh`, in the saved plan's order.
pub fn recheck(saved: &Plan, fresh: &Plan) -> Vec<Verdict> {
    let fresh_pools: BTreeMap<&str, _> = fresh
        .device_pools
        .iter()
        .map(|p| (p.pool.as_str(), p))
        .collect();
    let mut headroom: Option<u32> = fresh
        .device_pools
        .iter()
        .find_map(|p| p.numbers)
        .map(|n| n.max_initiated.saturating_sub(n.org_initiated));
    let mut verdicts = Vec::new();
    for saved_pool in &saved.device_pools {
        let pool = saved_pool.pool.clone();
        let fresh_pool = fresh_pools.get(pool.as_str());
        let mut demand_left = fresh_pool.and_then(|p| p.numbers).map_or(0, |n| n.demand);
        for start in &saved_pool.starts {
            let drifted = |reason: String| Verdict::Drifted {
                pool: pool.clone(),
                udid: start.udid.clone(),
                reason,
            };
            let Some(fresh_pool) = fresh_pool else {
                verdicts.push(drifted("pool no longer in the desired state".into()));
                continue;
            };
            match &fresh_pool.status {
                PoolStatus::Held { reason } => {
                    verdicts.push(drifted(format!("pool is held now: {reason}")));
                    continue;
                }
                PoolStatus::Disabled => {
                    verdicts.push(drifted("pool is disabled now".into()));
                    continue;
                }
                PoolStatus::Planned => {}
            }
            let device = fresh_pool.devices.iter().find(|d| d.udid == start.udid);
            match device.map(|d| (d.state, d.detail.as_str())) {
                Some((DeviceState::Start | DeviceState::Spare, _)) => {}
                Some((state, detail)) => {
                    verdicts.push(drifted(format!(
                        "device is {} now ({detail})",
                        state_name(state)
                    )));
                    continue;
                }
                None => {
                    verdicts.push(drifted("device no longer in the pool".into()));
                    continue;
                }
            }
            if demand_left == 0 {
                verdicts.push(drifted("no uncovered pending task left for it".into()));
                continue;
            }
            if headroom == Some(0) {
                verdicts.push(drifted("org-wide max_initiated reached".into()));
                continue;
            }
            demand_left -= 1;
            headroom = headroom.map(|h| h - 1);
            verdicts.push(Verdict::Keep {
                pool: pool.clone(),
                start: start.clone(),
            });
        }
    }
    recheck_racks(saved, fresh, &mut verdicts);
    recheck_runner_pools(saved, fresh, &mut verdicts);
    verdicts
}

/// Saved runner starts hold up to the number the fresh plan would start; a saved removal
/// holds when the fresh plan removes the same runner or container.
fn recheck_runner_pools(saved: &Plan, fresh: &Plan, verdicts: &mut Vec<Verdict>) {
    for saved_pool in &saved.runner_pools {
        let fresh_pool = fresh
            .runner_pools
            .iter()
            .find(|p| p.pool == saved_pool.pool);
        let held = match fresh_pool.map(|p| &p.status) {
            None => Some("runner pool no longer in the desired state".to_string()),
            Some(PoolStatus::Held { reason }) => Some(format!("runner pool is held now: {reason}")),
            Some(PoolStatus::Disabled) => Some("runner pool is disabled now".to_string()),
            Some(PoolStatus::Planned) => None,
        };
        let drifted = |what: String, reason: String| Verdict::Drifted {
            pool: saved_pool.pool.clone(),
            udid: what,
            reason,
        };
        // The fresh plan's starts count on the fresh removals; only those the saved plan also
        // holds will happen, so every other fresh removal takes one start's room away.
        let same = |a: &RunnerRemoval, b: &RunnerRemoval| {
            a.runner_id == b.runner_id && a.container_id == b.container_id
        };
        let room = fresh_pool.map_or(0, |p| {
            let not_done = p
                .removals
                .iter()
                .filter(|r| {
                    r.runner_id.is_some() && !saved_pool.removals.iter().any(|s| same(s, r))
                })
                .count();
            p.starts.len().saturating_sub(not_done)
        });
        for (i, start) in saved_pool.starts.iter().enumerate() {
            verdicts.push(match &held {
                Some(reason) => drifted(start.name.clone(), reason.clone()),
                None if i >= room => drifted(
                    start.name.clone(),
                    format!("only {room} start(s) still needed"),
                ),
                None => Verdict::KeepRunnerStart {
                    pool: saved_pool.pool.clone(),
                    start: start.clone(),
                },
            });
        }
        for removal in &saved_pool.removals {
            let what = removal.runner_id.map_or_else(
                || removal.container_id.clone().unwrap_or_default(),
                |id| format!("runner {id}"),
            );
            let still = fresh_pool.is_some_and(|p| p.removals.iter().any(|r| same(r, removal)));
            // Why not, as the fresh plan says it of that runner (busy, contacted, kept by a
            // cap); a runner it no longer lists is gone.
            let decision = removal
                .runner_id
                .and_then(|id| fresh_pool?.runners.iter().find(|r| r.id == id));
            let why_not = decision.map_or_else(
                || "no longer to be removed: gone".to_string(),
                |d| format!("no longer to be removed: {}", d.detail),
            );
            verdicts.push(match (&held, still) {
                (Some(reason), _) => drifted(what, reason.clone()),
                (None, false) => drifted(what, why_not),
                (None, true) => Verdict::KeepRemoval {
                    pool: saved_pool.pool.clone(),
                    removal: removal.clone(),
                },
            });
        }
    }
}

/// A saved deploy still holds when the fresh plan would deploy the agent too (or only the
/// cap stopped it): agent waiting, no active job of ours, due.
fn recheck_racks(saved: &Plan, fresh: &Plan, verdicts: &mut Vec<Verdict>) {
    for saved_rack in &saved.racks {
        let fresh_rack = fresh.racks.iter().find(|r| r.rack == saved_rack.rack);
        for deploy in &saved_rack.deploys {
            let drifted = |reason: String| Verdict::Drifted {
                pool: saved_rack.rack.clone(),
                udid: deploy.agent.clone(),
                reason,
            };
            let verdict = match fresh_rack.map(|r| (&r.status, r)) {
                None => drifted("rack no longer in the desired state".into()),
                Some((PoolStatus::Held { reason }, _)) => {
                    drifted(format!("rack is held now: {reason}"))
                }
                Some((PoolStatus::Disabled, _)) => drifted("rack is disabled now".into()),
                Some((PoolStatus::Planned, rack)) => {
                    match rack.machines.iter().find(|m| m.hostname == deploy.agent) {
                        Some(m)
                            if matches!(m.state, MachineState::Deploy | MachineState::Capped) =>
                        {
                            Verdict::KeepDeploy {
                                rack: saved_rack.rack.clone(),
                                deploy: deploy.clone(),
                            }
                        }
                        Some(m) => drifted(format!("{} now ({})", word_of(&m.state), m.detail)),
                        None => drifted("machine no longer in the rack".into()),
                    }
                }
            };
            verdicts.push(verdict);
        }
    }
}

fn state_name(state: DeviceState) -> &'static str {
    match state {
        DeviceState::Start | DeviceState::Spare => "free",
        DeviceState::Busy => "busy",
        DeviceState::Quarantined => "quarantined",
        DeviceState::InFlight => "in flight",
        DeviceState::Unknown => "not listed by LambdaTest",
    }
}
