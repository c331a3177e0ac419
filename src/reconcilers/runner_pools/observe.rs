//! Reading what runner pools need, disabled ones too: our runners (one paged list of every
//! runner per run, then details, running jobs and the last finished job with the job count
//! per runner of ours; a runner GitLab no
//! longer knows by then is skipped as gone), the pending jobs of the pool's projects (paged),
//! and the containers carrying our labels (in the Docker API version negotiated once per
//! run). Read-only.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::config::{DockerHostShare, RunnerPool};
use crate::clients::docker::{self, version as docker_version};
use crate::clients::gitlab::{self, RunnerFilter};
use crate::clients::http::{ApiError, Reader};
use crate::load::{Desired, HttpSettings};

use super::conventions::{
    MANAGED_LABEL, POOL_LABEL, REMOVAL_NOTE, ROLLOUT_NOTE, container_claim, container_spec,
    runner_claim,
};
use crate::parallel::{Task, map_parallel, run_parallel};
use crate::reconcilers::ownership::{Object, Ownership, Verdict, look_alike};
use crate::secret::{Redactor, Secret};
use crate::snapshot::{
    ContainerView, GitlabRunner, LookAlike, PendingJobView, RunnerPoolState, RunnerView,
};

/// Reads every runner pool, disabled ones too (they are reported, never changed).
pub fn snapshot_runner_pools(
    desired: &Desired,
    reader: &Reader,
    gitlab_token: &Secret,
    docker_host: &str,
    redactor: &Redactor,
) -> BTreeMap<String, Result<RunnerPoolState, ApiError>> {
    let pools: Vec<(&String, &RunnerPool)> = desired.runner_pools.iter().collect();
    let (Some(gl), false) = (&desired.sources.gitlab, pools.is_empty()) else {
        return BTreeMap::new();
    };
    // One negotiation serves every pool without hosts of its own: the daemon's API version, as
    // the Docker CLI asks. No pool on the one host, no request to it.
    let one_host = pools.iter().any(|(_, p)| p.docker_hosts.is_empty());
    let docker = one_host.then(|| {
        docker::connect::connect(docker_host, &desired.settings.http, redactor)
            .map(|c| (c.reader, c.spoken))
    });
    // Every runner, not only those with a pool's current tags: a runner started before a tag
    // edit is still ours, and a container is an orphan only if no runner has its id. One
    // listing serves every pool.
    let filter = RunnerFilter {
        all: true,
        ..RunnerFilter::default()
    };
    let listed = gitlab::fetch_runners(reader, &gl.url, gitlab_token, &filter);
    let parallel = desired.settings.http.parallel_requests;
    let owner = Ownership::of(desired);
    let results = Mutex::new(BTreeMap::new());
    let tasks: Vec<Task<'_>> = pools
        .iter()
        .map(|(name, pool)| {
            let (results, docker, listed) = (&results, &docker, &listed);
            Box::new(move || {
                let gitlab = Gitlab {
                    reader,
                    base: &gl.url,
                    token: gitlab_token,
                    parallel,
                };
                let several = Docker::Several(&desired.settings.http, redactor, &pool.docker_hosts);
                let state = match (docker, listed) {
                    (_, Err(e)) => Err(e.clone()),
                    // A pool with its own hosts does not need the one Docker host.
                    (_, Ok(listed)) if !pool.docker_hosts.is_empty() => {
                        read_pool(gitlab, listed, several, (name, pool, owner))
                    }
                    (Some(Ok((docker_reader, spoken))), Ok(listed)) => read_pool(
                        gitlab,
                        listed,
                        Docker::One(docker_reader, spoken),
                        (name, pool, owner),
                    ),
                    (Some(Err(e)), _) => Err(e.clone()),
                    (None, Ok(_)) => {
                        unreachable!("a pool without docker_hosts connects to the one host")
                    }
                };
                results.lock().unwrap().insert((*name).clone(), state);
            }) as Task<'_>
        })
        .collect();
    run_parallel(parallel, tasks);
    results.into_inner().unwrap()
}

/// How to reach GitLab, and how many of one pool's runner reads may run at once.
#[derive(Clone, Copy)]
struct Gitlab<'a> {
    reader: &'a Reader,
    base: &'a str,
    token: &'a Secret,
    parallel: usize,
}

/// Where a pool's containers are: the one Docker host (negotiated once per run) or the pool's
/// own `docker_hosts`.
enum Docker<'a> {
    One(&'a Reader, &'a docker_version::Negotiated),
    Several(&'a HttpSettings, &'a Redactor, &'a [DockerHostShare]),
}

fn read_pool(
    gitlab: Gitlab<'_>,
    listed: &[GitlabRunner],
    docker: Docker<'_>,
    (name, pool, owner): (&str, &RunnerPool, Ownership<'_>),
) -> Result<RunnerPoolState, ApiError> {
    let Gitlab {
        reader,
        base,
        token,
        parallel,
    } = gitlab;
    let known_runner_ids = listed.iter().map(|r| r.id).collect();
    let mut look_alikes = Vec::new();
    let (containers, hosts, docker_api) = match docker {
        Docker::One(docker_reader, spoken) => {
            let base = (docker_reader, spoken.base.as_str());
            let found = read_containers(base, name, owner, &mut look_alikes)?;
            (found, Vec::new(), Some(spoken.version.to_string()))
        }
        Docker::Several(settings, redactor, shares) => {
            let at = (settings, redactor);
            super::hosts::read_hosts(at, shares, name, owner, &mut look_alikes)?
        }
    };
    let ours = claim_runners(listed, name, owner, &containers, &mut look_alikes);
    // Three reads per runner, so the runners are read in parallel (in list order).
    let views = map_parallel(parallel, ours, |runner| {
        read_runner(reader, base, token, runner)
    });
    let mut runners = Vec::new();
    for view in views {
        match view {
            Ok(view) => runners.push(view),
            // Deleted between the list and now: gone, not a reason to hold the pool.
            Err(e) if gitlab::is_runner_not_found(&e) => {}
            Err(e) => return Err(e),
        }
    }
    let mut pending_jobs = Vec::new();
    for project in &pool.projects {
        for job in gitlab::fetch_pending_jobs(reader, base, token, project)? {
            pending_jobs.push(PendingJobView {
                id: job.id,
                project: project.clone(),
                tags: job.tag_list,
                created_at: job.created_at,
            });
        }
    }
    Ok(RunnerPoolState {
        runners,
        pending_jobs,
        containers,
        known_runner_ids,
        look_alikes,
        docker_api,
        hosts,
    })
}

/// The containers carrying `pool`'s labels that are ours; the others are look-alikes.
pub(super) fn read_containers(
    (reader, base): (&Reader, &str),
    pool: &str,
    owner: Ownership<'_>,
    look_alikes: &mut Vec<LookAlike>,
) -> Result<Vec<ContainerView>, ApiError> {
    let listed =
        docker::fetch_containers(reader, base, &[(POOL_LABEL, pool), (MANAGED_LABEL, "true")])?;
    let mut ours = Vec::new();
    for c in listed {
        let runner_id = match container_claim(&c.labels, pool, &owner) {
            Ok((id, Verdict::Ours)) => id,
            Ok((_, Verdict::OtherFleet)) => continue,
            Ok((_, Verdict::LookAlike(why))) | Err(why) => {
                look_alikes.push(look_alike(Object::Container, pool, c.name, why));
                continue;
            }
        };
        ours.push(ContainerView {
            spec: container_spec(&c.labels),
            runner_id: Some(runner_id),
            created: jiff::Timestamp::from_second(c.created).ok(),
            id: c.id,
            name: c.name,
            state: c.state,
        });
    }
    Ok(ours)
}

/// The listed runners that are `pool`'s. One named the old way (no fleet marker) is ours only
/// when a container of ours on this host serves it: the name alone is anyone's to copy.
fn claim_runners(
    listed: &[GitlabRunner],
    pool: &str,
    owner: Ownership<'_>,
    containers: &[ContainerView],
    look_alikes: &mut Vec<LookAlike>,
) -> Vec<GitlabRunner> {
    let mut ours = Vec::new();
    for runner in listed {
        let why = match runner_claim(&runner.description, pool, &owner) {
            None | Some((_, Verdict::OtherFleet, _)) => continue,
            Some((_, Verdict::LookAlike(why), _)) => why,
            Some((_, Verdict::Ours, true))
                if !containers.iter().any(|c| c.runner_id == Some(runner.id)) =>
            {
                "named the old way (no fleet) and no container of ours on this host serves it"
            }
            Some((_, Verdict::Ours, _)) => {
                ours.push(runner.clone());
                continue;
            }
        };
        let name = format!("{} {:?}", runner.id, runner.description);
        look_alikes.push(look_alike(Object::Runner, pool, name, why));
    }
    ours
}

/// Details, running jobs and last finished job of one listed runner.
fn read_runner(
    reader: &Reader,
    base: &str,
    token: &Secret,
    runner: GitlabRunner,
) -> Result<RunnerView, ApiError> {
    let details = gitlab::fetch_runner(reader, base, token, runner.id)?;
    let running = gitlab::fetch_running_jobs(reader, base, token, runner.id)?;
    let jobs = gitlab::fetch_runner_jobs(reader, base, token, runner.id)?;
    let oldest = running.iter().min_by_key(|j| (j.started_at, j.id));
    if details.paused && details.maintenance_note_hidden {
        tracing::warn!(
            runner = runner.id,
            "GitLab does not show this token runner maintenance notes: a paused runner of ours is taken for a removal devicepool began"
        );
    }
    Ok(RunnerView {
        id: runner.id,
        description: runner.description,
        status: details.status,
        paused: details.paused,
        // Without the note nothing tells our pause from a person's: finishing the removal
        // is what devicepool did before it marked its pauses.
        paused_for_removal: details.paused
            && (details.maintenance_note_hidden
                || details.maintenance_note.as_deref() == Some(REMOVAL_NOTE)),
        paused_for_rollout: details.paused
            && details.maintenance_note.as_deref() == Some(ROLLOUT_NOTE),
        created_at: details.created_at.or(runner.created_at),
        contacted_at: details.contacted_at,
        running_jobs: running.len() as u32,
        last_finished_at: jobs.last_finished.and_then(|j| j.finished_at),
        running_since: oldest.and_then(|j| j.started_at),
        oldest_running_job: oldest.map(|j| j.id),
        jobs_run: jobs.total,
    })
}
