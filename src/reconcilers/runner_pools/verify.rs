//! What `apply --verify` checks of runner pools on the fleet read back: no pool has more runners
//! of ours than its `max_runners`. Pure; a pool whose data could not be read is not judged.

use crate::load::Desired;
use crate::reconcilers::record::{Broken, Kind};
use crate::snapshot::Snapshot;

/// Every enabled runner pool with more runners of ours than `max_runners`.
pub(crate) fn verify(desired: &Desired, snapshot: &Snapshot) -> Vec<Broken> {
    let pools = desired.runner_pools.iter().filter(|(_, p)| !p.disabled);
    pools
        .filter_map(|(name, pool)| {
            let state = snapshot.runner_pools.get(name)?.as_ref().ok()?;
            let runners = state.runners.len() as u32;
            (runners > pool.max_runners).then(|| Broken {
                kind: Kind::RunnerPool,
                pool: name.clone(),
                problem: format!(
                    "{runners} runners of ours, above max_runners {}",
                    pool.max_runners
                ),
            })
        })
        .collect()
}
