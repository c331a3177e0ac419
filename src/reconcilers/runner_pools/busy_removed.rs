//! What `apply --verify` adds for runner pools this run removed runners from: the running
//! jobs of those pools' projects (one paged list per project, only when a runner was removed),
//! and a note for each job still running on a removed runner, or running with no runner at
//! all (GitLab drops a deleted runner from its jobs) where the pool could have run it: the
//! runner was busy when removed. Reads only; never acts, never breaks the run on a guess.

use std::collections::{BTreeMap, BTreeSet};

use super::config::RunnerPool;
use crate::clients::gitlab::running::{RunningJob, fetch_project_running_jobs};
use crate::clients::http::Reader;
use crate::load::Desired;
use crate::reconcilers::record::{Action, ActionRecord, Kind, Outcome, VerifyNote};
use crate::secret::Secret;

/// Reads the running jobs of the projects of every pool `actions` removed a runner from and
/// notes the jobs that ran on a removed runner. No pool removed from, no request.
pub(crate) fn note_busy_removals(
    desired: &Desired,
    reader: &Reader,
    token: &Secret,
    actions: &[ActionRecord],
) -> Vec<VerifyNote> {
    let removed = removed_runners(actions);
    let Some(gitlab) = desired
        .sources
        .gitlab
        .as_ref()
        .filter(|_| !removed.is_empty())
    else {
        return Vec::new();
    };
    let pools: Vec<(&String, &RunnerPool)> = (desired.runner_pools.iter())
        .filter(|(name, _)| removed.contains_key(name.as_str()))
        .collect();
    let projects: BTreeSet<&str> = pools
        .iter()
        .flat_map(|(_, p)| p.projects.iter().map(String::as_str))
        .collect();
    let running: BTreeMap<&str, Result<Vec<RunningJob>, String>> = projects
        .into_iter()
        .map(|project| {
            let read = fetch_project_running_jobs(reader, &gitlab.url, token, project);
            (project, read.map_err(|e| e.to_string()))
        })
        .collect();
    let mut notes = Vec::new();
    for (name, pool) in pools {
        let ids = &removed[name.as_str()];
        for note in judge_busy_removals(pool, ids, &running) {
            notes.push(VerifyNote {
                kind: Kind::RunnerPool,
                pool: name.clone(),
                note,
            });
        }
    }
    notes
}

/// The runners each pool removed in `actions` (done removals of a runner, not of an orphan
/// container).
fn removed_runners(actions: &[ActionRecord]) -> BTreeMap<&str, Vec<u64>> {
    let mut removed: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let done = actions.iter().filter(|a| {
        a.kind == Kind::RunnerPool && a.action == Action::RemoveRunner && a.outcome == Outcome::Done
    });
    for action in done {
        if let Some(id) = action.runner_id {
            removed.entry(action.pool.as_str()).or_default().push(id);
        }
    }
    removed
}

/// One line per job of `pool`'s projects (as `running` read them) still running on a runner
/// of `removed`, or running with no runner while its tags are ones the pool serves; one per
/// project that could not be read. Pure.
pub(super) fn judge_busy_removals(
    pool: &RunnerPool,
    removed: &[u64],
    running: &BTreeMap<&str, Result<Vec<RunningJob>, String>>,
) -> Vec<String> {
    let ids = removed
        .iter()
        .map(|id| format!("runner {id}"))
        .collect::<Vec<_>>()
        .join(", ");
    let serves = |job: &RunningJob| {
        !job.tag_list.is_empty() && job.tag_list.iter().all(|t| pool.tags.contains(t))
    };
    let mut lines = Vec::new();
    for project in &pool.projects {
        let jobs = match running.get(project.as_str()) {
            Some(Ok(jobs)) => jobs,
            Some(Err(e)) => {
                lines.push(format!(
                    "whether {ids} (removed this run) was busy is not known: {e}"
                ));
                continue;
            }
            None => continue,
        };
        for job in jobs {
            match job.runner_id {
                Some(id) if removed.contains(&id) => lines.push(format!(
                    "job {} of {project} is still running on runner {id}, which this run removed: the runner was busy when removed",
                    job.id
                )),
                None if serves(job) => lines.push(format!(
                    "job {} of {project} is running with no runner (GitLab shows none once its runner is deleted) and this run removed {ids}: most likely busy when removed",
                    job.id
                )),
                _ => {}
            }
        }
    }
    lines
}

#[cfg(test)]
#[path = "busy_removed_tests.rs"]
mod tests;
