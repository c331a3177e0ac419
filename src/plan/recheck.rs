//! Re-checking a saved plan: the fresh plan cut down to the actions the saved plan selected.
//! The saved plan only selects, by (kind, pool, device / agent / runner); every value an
//! action sends (labels, tags, names, job files, container specs) comes from the fresh plan,
//! so an edited plan file can never make devicepool act beyond what the desired state allows.
//! Pure: two plans in, a verdict out.

use std::collections::BTreeSet;

use super::model::{
    Bound, Deploy, DevicePoolPlan, DeviceState, Plan, PoolStatus, RackPlan, RunnerPoolPlan,
    StartJob, word_of,
};
use crate::reconcilers::runner_pools::recheck::{removal_name, select_runner_pool};

/// What a re-check leaves: the fresh plan holding only the selected actions that still hold,
/// and why each other saved action will not run.
#[derive(Debug, Clone, PartialEq)]
pub struct Recheck {
    /// The fresh plan with only the kept actions: exactly what the apply carries out.
    pub kept: Plan,
    /// Saved actions that will not run, pool by pool.
    pub drifted: Vec<Drift>,
}

/// A saved action that will not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// Device pool, rack or runner pool.
    pub pool: String,
    /// The device, agent, runner or container.
    pub what: String,
    pub reason: String,
}

/// Said of a saved action listed again under the same identity.
pub(crate) const LISTED_TWICE: &str = "listed more than once in the saved plan; done at most once";

/// Keeps the actions of `fresh` that `saved` selects and whose sent values it shows unchanged.
/// Re-checking a plan against itself keeps all of it.
pub fn recheck(saved: &Plan, fresh: &Plan) -> Recheck {
    let mut kept = fresh.clone();
    let mut drifted = Vec::new();
    for pool in &mut kept.device_pools {
        let starts = select_device_pool(saved, pool, &mut drifted);
        note_selection(&mut pool.reason, pool.starts.len(), starts.len());
        pool.starts = starts;
    }
    let starts = saved.device_pools.iter().map(|p| {
        let udids = p.starts.iter().map(|s| s.udid.clone());
        (&p.pool, udids.collect())
    });
    let fresh_pools = fresh.device_pools.iter().map(|p| &p.pool);
    drifted.extend(orphans(starts, fresh_pools, "pool"));
    for rack in &mut kept.racks {
        let deploys = select_rack(saved, rack, &mut drifted);
        note_selection(&mut rack.reason, rack.deploys.len(), deploys.len());
        rack.deploys = deploys;
    }
    let deploys = saved.racks.iter().map(|r| {
        let agents = r.deploys.iter().map(|d| d.agent.clone());
        (&r.rack, agents.collect())
    });
    drifted.extend(orphans(
        deploys,
        fresh.racks.iter().map(|r| &r.rack),
        "rack",
    ));
    for pool in &mut kept.runner_pools {
        let entries: Vec<&RunnerPoolPlan> = saved
            .runner_pools
            .iter()
            .filter(|s| s.pool == pool.pool)
            .collect();
        let (starts, removals) = select_runner_pool(
            (saved.snapshot_at, fresh.snapshot_at),
            &entries,
            pool,
            &mut drifted,
        );
        let fresh_count = pool.starts.len() + pool.removals.len();
        note_selection(&mut pool.reason, fresh_count, starts.len() + removals.len());
        pool.starts = starts;
        pool.removals = removals;
    }
    let runner_actions = saved.runner_pools.iter().map(|p| {
        let starts = p.starts.iter().map(|s| s.name.clone());
        (
            &p.pool,
            starts.chain(p.removals.iter().map(removal_name)).collect(),
        )
    });
    let fresh_pools = fresh.runner_pools.iter().map(|p| &p.pool);
    drifted.extend(orphans(runner_actions, fresh_pools, "runner pool"));
    Recheck { kept, drifted }
}

/// Adds to a fresh reason how many of its actions the saved plan kept, when not all.
fn note_selection(reason: &mut String, fresh: usize, kept: usize) {
    if kept != fresh {
        reason.push_str(&format!(
            "; the saved plan keeps {kept} of these {fresh} action(s)"
        ));
    }
}

/// Why nothing of a pool, rack or runner pool runs, when it is not planned now.
pub(crate) fn unplanned(kind: &str, status: &PoolStatus) -> Option<String> {
    match status {
        PoolStatus::Planned => None,
        PoolStatus::Held { reason } => Some(format!("{kind} is held now: {reason}")),
        PoolStatus::Disabled => Some(format!("{kind} is disabled now")),
    }
}

/// One kind of action a saved plan selects: what it acts on, and what it sends.
trait Selectable: Clone {
    /// The device or agent: one action per target.
    fn target(&self) -> &str;
    /// Why the saved action is not the fresh one, when a value it sends differs.
    fn differs_from(&self, fresh: &Self) -> Option<String>;
}

impl Selectable for StartJob {
    fn target(&self) -> &str {
        &self.udid
    }

    fn differs_from(&self, fresh: &Self) -> Option<String> {
        differs("labels", &self.labels, &fresh.labels)
            .or_else(|| renders_differently(&self.job_file, &fresh.job_file))
    }
}

impl Selectable for Deploy {
    fn target(&self) -> &str {
        &self.agent
    }

    fn differs_from(&self, fresh: &Self) -> Option<String> {
        differs("tags", &self.tags, &fresh.tags)
            .or_else(|| {
                (self.queue != fresh.queue).then(|| {
                    format!(
                        "the saved plan's queue {} is not the one the agents give now ({})",
                        self.queue, fresh.queue
                    )
                })
            })
            .or_else(|| renders_differently(&self.job_file, &fresh.job_file))
    }
}

/// Why a saved list of labels or tags is refused, when it is not the fresh one.
pub(crate) fn differs(what: &str, saved: &[String], fresh: &[String]) -> Option<String> {
    (saved != fresh).then(|| {
        format!(
            "the saved plan's {what} {} are not the ones the desired state gives ({})",
            saved.join(","),
            fresh.join(",")
        )
    })
}

fn renders_differently(saved: &str, fresh: &str) -> Option<String> {
    (saved != fresh)
        .then(|| "the job file renders differently now (template or desired state changed)".into())
}

/// The saved actions of one pool, and the fresh plan's for it.
struct Selection<'a, A> {
    pool: &'a str,
    saved: Vec<&'a A>,
    fresh: &'a [A],
    /// Why none runs: the pool is not planned now.
    not_planned: Option<String>,
}

impl<A: Selectable> Selection<'_, A> {
    /// The fresh actions the saved ones select unchanged, in the fresh plan's order; every
    /// other saved action is drifted, with `why_not` saying why the fresh plan skips its target.
    fn select(self, why_not: impl Fn(&str) -> String, drifted: &mut Vec<Drift>) -> Vec<A> {
        let mut selected = BTreeSet::new();
        for action in self.saved {
            let target = action.target();
            let fresh = self.fresh.iter().find(|a| a.target() == target);
            let reason = match (&self.not_planned, fresh) {
                (Some(reason), _) => reason.clone(),
                _ if selected.contains(target) => LISTED_TWICE.to_string(),
                (None, Some(now)) => match action.differs_from(now) {
                    Some(reason) => reason,
                    None => {
                        selected.insert(target);
                        continue;
                    }
                },
                (None, None) => why_not(target),
            };
            drifted.push(Drift {
                pool: self.pool.to_string(),
                what: target.to_string(),
                reason,
            });
        }
        self.fresh
            .iter()
            .filter(|a| selected.contains(a.target()))
            .cloned()
            .collect()
    }
}

/// The fresh starts of `fresh` that the saved plan selects.
fn select_device_pool(
    saved: &Plan,
    fresh: &DevicePoolPlan,
    drifted: &mut Vec<Drift>,
) -> Vec<StartJob> {
    let selection = Selection {
        pool: &fresh.pool,
        saved: saved
            .device_pools
            .iter()
            .filter(|p| p.pool == fresh.pool)
            .flat_map(|p| &p.starts)
            .collect(),
        fresh: &fresh.starts,
        not_planned: unplanned("pool", &fresh.status),
    };
    selection.select(|udid| why_not_started(fresh, udid), drifted)
}

/// Why the fresh plan starts nothing on `udid`.
fn why_not_started(fresh: &DevicePoolPlan, udid: &str) -> String {
    let Some(device) = fresh.devices.iter().find(|d| d.udid == udid) else {
        return "device no longer in the pool".into();
    };
    match (device.state, fresh.bound) {
        (DeviceState::Spare, Some(Bound::Demand)) => "no uncovered pending task left for it".into(),
        (DeviceState::Spare, Some(Bound::MaxInitiated)) => "org-wide max_initiated reached".into(),
        (DeviceState::Spare | DeviceState::Start, _) => {
            format!("not among the fresh plan's starts: {}", fresh.reason)
        }
        (state, _) => format!("device is {} now ({})", state_name(state), device.detail),
    }
}

/// The fresh deploys of `fresh` that the saved plan selects.
fn select_rack(saved: &Plan, fresh: &RackPlan, drifted: &mut Vec<Drift>) -> Vec<Deploy> {
    let selection = Selection {
        pool: &fresh.rack,
        saved: saved
            .racks
            .iter()
            .filter(|r| r.rack == fresh.rack)
            .flat_map(|r| &r.deploys)
            .collect(),
        fresh: &fresh.deploys,
        not_planned: unplanned("rack", &fresh.status),
    };
    let why_not = |agent: &str| match fresh.machines.iter().find(|m| m.hostname == agent) {
        Some(m) => format!("{} now ({})", word_of(&m.state), m.detail),
        None => "machine no longer in the rack".into(),
    };
    selection.select(why_not, drifted)
}

/// Saved actions, by pool, of pools the fresh plan does not have at all.
fn orphans<'a>(
    saved: impl Iterator<Item = (&'a String, Vec<String>)>,
    fresh: impl Iterator<Item = &'a String>,
    kind: &str,
) -> Vec<Drift> {
    let known: BTreeSet<&String> = fresh.collect();
    saved
        .filter(|(pool, _)| !known.contains(pool))
        .flat_map(|(pool, actions)| {
            actions.into_iter().map(move |what| Drift {
                pool: pool.clone(),
                what,
                reason: format!("{kind} no longer in the desired state"),
            })
        })
        .collect()
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
