//! Re-checking a rack's saved deploys: each selects the fresh deploy of the same agent, kept
//! only with the same tags, queue and job file. Pure.

use super::model::{Deploy, RackPlan};
use crate::plan::Plan;
use crate::reconcilers::record::{Action, Kind};
use crate::reconcilers::selection::{
    Drift, Selectable, Selection, differs, renders_differently, unplanned,
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
            .or_else(|| renders_differently(&self.job_file, &fresh.job_file))
    }
}

/// The fresh deploys of `fresh` that the saved plan selects.
pub(crate) fn select(saved: &Plan, fresh: &RackPlan, drifted: &mut Vec<Drift>) -> Vec<Deploy> {
    let selection = Selection {
        kind: Kind::Rack,
        action: Action::Deploy,
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
