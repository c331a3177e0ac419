//! Re-checking a device pool's saved starts: each selects the fresh start on the same device,
//! kept only with the same labels and job file; otherwise the reason names what the fresh plan
//! makes of that device. Pure.

use super::model::{Bound, DevicePoolPlan, DeviceState, StartJob};
use crate::reconcilers::record::{Action, Kind};
use crate::reconcilers::selection::{
    Drift, Selectable, Selection, differs, note_selection, orphans, renders_differently, unplanned,
};

impl Selectable for StartJob {
    fn target(&self) -> &str {
        &self.udid
    }

    fn differs_from(&self, fresh: &Self) -> Option<String> {
        differs("labels", &self.labels, &fresh.labels)
            .or_else(|| renders_differently(&self.job_file, &fresh.job_file))
    }
}

/// The fresh starts of `fresh` that the saved plan selects.
pub(crate) fn select(
    saved: &[DevicePoolPlan],
    fresh: &DevicePoolPlan,
    drifted: &mut Vec<Drift>,
) -> Vec<StartJob> {
    let selection = Selection {
        kind: Kind::DevicePool,
        action: Action::StartJob,
        pool: &fresh.pool,
        saved: saved
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
        return match &fresh.group {
            Some(g) => format!(
                "not in the pool's share of group {} this time: {}",
                g.group, fresh.reason
            ),
            None => "device no longer in the pool".into(),
        };
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

fn state_name(state: DeviceState) -> &'static str {
    match state {
        DeviceState::Start | DeviceState::Spare => "free",
        DeviceState::Busy => "busy",
        DeviceState::Quarantined => "quarantined",
        DeviceState::InFlight => "in flight",
        DeviceState::CoolingDown => "cooling down after failed jobs",
        DeviceState::Unknown => "not listed by LambdaTest",
        DeviceState::Contested => "claimed by more than one pool or group",
        DeviceState::Unusable => "not usable: its UDID cannot be a job label",
        DeviceState::StaleWorker => "idle: its Taskcluster worker is stale",
    }
}

/// Cuts every fresh device pool in `kept` down to the starts `saved` selects; every other
/// saved start, including those of pools no longer desired, is drifted.
pub(crate) fn recheck_all(
    saved: &[DevicePoolPlan],
    fresh: &[DevicePoolPlan],
    kept: &mut [DevicePoolPlan],
    drifted: &mut Vec<Drift>,
) {
    for pool in kept.iter_mut() {
        let starts = select(saved, pool, drifted);
        note_selection(&mut pool.reason, pool.starts.len(), starts.len());
        pool.starts = starts;
        pool.mark_starts();
    }
    let starts = saved.iter().map(|p| {
        let udids = p.starts.iter().map(|s| (Action::StartJob, s.udid.clone()));
        (&p.pool, udids.collect())
    });
    let fresh_pools = fresh.iter().map(|p| &p.pool);
    drifted.extend(orphans(starts, fresh_pools, Kind::DevicePool));
}
