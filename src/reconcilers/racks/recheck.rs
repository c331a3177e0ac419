//! Re-checking a rack's saved deploys: each selects the fresh deploy of the same agent, kept
//! only with the same tags, queue, job file and stuck jobs to cancel first (the fresh plan
//! cancels only jobs still ours, not ended and stuck). Pure.

use super::model::{Deploy, RackPlan};
use crate::reconcilers::record::{Action, Kind};
use crate::reconcilers::selection::{
    Drift, Selectable, Selection, differs, note_selection, orphans, renders_differently, unplanned,
};
use crate::reconcilers::word_of;

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
            .or_else(|| {
                let ids = |d: &Deploy| d.cancel_first.iter().map(|s| s.job_id.clone()).collect();
                let (saved, fresh): (Vec<String>, Vec<String>) = (ids(self), ids(fresh));
                (saved != fresh).then(|| {
                    format!(
                        "the saved plan cancels [{}] first, but the jobs of ours that can no \
                         longer start are [{}] now",
                        saved.join(", "),
                        fresh.join(", ")
                    )
                })
            })
            .or_else(|| renders_differently(&self.job_file, &fresh.job_file))
    }
}

/// The fresh deploys of `fresh` that the saved plan selects.
pub(crate) fn select(
    saved: &[RackPlan],
    fresh: &RackPlan,
    drifted: &mut Vec<Drift>,
) -> Vec<Deploy> {
    let selection = Selection {
        kind: Kind::Rack,
        action: Action::Deploy,
        pool: &fresh.rack,
        saved: saved
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

/// Cuts every fresh rack in `kept` down to the deploys `saved` selects; every other saved
/// deploy, including those of racks no longer desired, is drifted.
pub(crate) fn recheck_all(
    saved: &[RackPlan],
    fresh: &[RackPlan],
    kept: &mut [RackPlan],
    drifted: &mut Vec<Drift>,
) {
    for rack in kept.iter_mut() {
        let deploys = select(saved, rack, drifted);
        note_selection(&mut rack.reason, rack.deploys.len(), deploys.len());
        rack.deploys = deploys;
    }
    let deploys = saved.iter().map(|r| {
        let agents = r.deploys.iter().map(|d| (Action::Deploy, d.agent.clone()));
        (&r.rack, agents.collect())
    });
    drifted.extend(orphans(deploys, fresh.iter().map(|r| &r.rack), Kind::Rack));
}
