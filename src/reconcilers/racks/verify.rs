//! What `apply --verify` checks of racks on the fleet read back: no agent holds two deploys of
//! ours that have not ended (the second would wait behind the first, or a machine was deployed
//! twice). Pure; a rack whose data could not be read is not judged, and only the agents whose
//! history was read (those that could be deployed) are seen.

use crate::load::Desired;
use crate::reconcilers::record::{Broken, Kind};
use crate::snapshot::Snapshot;

/// Every agent of an enabled rack with more than one deploy of ours not ended.
pub(crate) fn verify(desired: &Desired, snapshot: &Snapshot) -> Vec<Broken> {
    let racks = desired.racks.iter().filter(|(_, r)| !r.disabled);
    let mut broken = Vec::new();
    for (name, _) in racks {
        let Some(Ok(state)) = snapshot.racks.get(name) else {
            continue;
        };
        for (agent, history) in &state.histories {
            let active: Vec<&str> = (history.jobs.iter())
                .filter(|j| !j.has_ended())
                .map(|j| j.job_id.as_str())
                .collect();
            if active.len() > 1 {
                broken.push(Broken {
                    kind: Kind::Rack,
                    pool: name.clone(),
                    problem: format!(
                        "agent {agent} has {} deploys of ours not ended: {}",
                        active.len(),
                        active.join(", ")
                    ),
                });
            }
        }
    }
    broken
}
