//! Which deploys of ours on an agent no longer hold its machine: still `waiting` (never taken)
//! past the rack's `stuck_after`, or waiting on a queue the agent does not poll (its `queues`
//! or its restricted queues changed), so they would wait until the server deletes them. Only
//! jobs proven ours are judged; look-alikes are not. Pure: `now` is passed in.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::model::StuckDeploy;
use crate::snapshot::AgentHistory;

/// Our jobs on the agent that can no longer start, in history order. A job whose queue could
/// not be read is judged by its age alone.
pub(crate) fn stuck_deploys(
    history: &AgentHistory,
    polled: &[&str],
    stuck_after: Duration,
    now: Timestamp,
) -> Vec<StuckDeploy> {
    let limit = SignedDuration::try_from(stuck_after).unwrap_or(SignedDuration::MAX);
    let waiting = history.jobs.iter().filter(|j| j.job_state == "waiting");
    waiting
        .filter_map(|job| {
            let queue = history.waiting_queues.get(&job.job_id);
            let reason = match (queue, job.created_at) {
                (Some(queue), _) if !polled.contains(&queue.as_str()) => format!(
                    "waiting on queue {queue}, which the agent does not poll ({})",
                    polled.join(", ")
                ),
                (_, Some(at)) if now.duration_since(at) > limit => {
                    format!("waiting since {at}, past stuck_after ({limit:#})")
                }
                _ => return None,
            };
            Some(StuckDeploy {
                job_id: job.job_id.clone(),
                reason,
            })
        })
        .collect()
}

#[cfg(test)]
#[path = "stuck_tests.rs"]
mod tests;
