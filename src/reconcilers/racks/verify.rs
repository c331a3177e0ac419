//! What `apply --verify` checks of racks on the fleet read back: each deploy this run submitted
//! went to a machine MAAS still lists under the rack's `maas_tags`, and no agent holds two
//! deploys of ours that have not ended (the second would wait behind the first, or a machine
//! was deployed twice). Pure; a rack whose data could not be read is not judged, and only the
//! agents whose history was read (those that could be deployed) are seen for the second.

use crate::load::Desired;
use crate::reconcilers::record::{Action, ActionRecord, Broken, Kind, Outcome};
use crate::snapshot::Snapshot;

/// Every deploy of `actions` to a machine outside its rack's tags, and every agent of an
/// enabled rack with more than one deploy of ours not ended.
pub(crate) fn verify(
    desired: &Desired,
    snapshot: &Snapshot,
    actions: &[ActionRecord],
) -> Vec<Broken> {
    let racks = desired.racks.iter().filter(|(_, r)| !r.disabled);
    let mut broken = Vec::new();
    for (name, rack) in racks {
        let Some(Ok(state)) = snapshot.racks.get(name) else {
            continue;
        };
        let deployed = (actions.iter()).filter(|a| {
            a.kind == Kind::Rack
                && a.pool == *name
                && a.action == Action::Deploy
                && a.outcome == Outcome::Done
        });
        for deploy in deployed {
            if !state.machines.iter().any(|m| m.hostname == deploy.target) {
                broken.push(Broken {
                    kind: Kind::Rack,
                    pool: name.clone(),
                    problem: format!(
                        "deploy {} of this run went to {}, a machine MAAS does not list \
                         under the rack's maas_tags ({})",
                        deploy.job_id.as_deref().unwrap_or("(no job id)"),
                        deploy.target,
                        rack.maas_tags.join(", ")
                    ),
                });
            }
        }
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
