//! Reading deploy histories for `observe.rs`: our deploys on an agent (one tag search each),
//! the jobs not ended on a rack's agents that claim to be ours without proving it (one
//! `match=any&state=active` search for many agents, then each unknown job's tags read once and
//! judged here), the rack's deploys by spec (two searches per rack), and the result of our
//! latest ended deploy (or of a given one), read under a byte cap.
//! Read-only; it decides nothing about deploying.

use std::collections::{BTreeMap, BTreeSet};

use super::conventions::{claim_reason, history_tags, spec_search_tags};
use crate::clients::http::{ApiError, Reader, encode_component};
use crate::clients::testflinger;
use crate::reconcilers::ownership::{Object, Ownership, look_alike};
use crate::secret::Secret;
use crate::snapshot::{AgentHistory, LastResult, LookAlike, ResultRead, SpecJobs, TestflingerJob};

/// Most bytes of `tags=` parameters in one look-alike search: gunicorn, which serves
/// Testflinger, refuses a request line over 4094 bytes by default.
const SEARCH_QUERY_BYTES: usize = 3000;

/// The Testflinger server to read from: a reader, the base URL and the bearer token, if any.
pub type Server<'a> = (&'a Reader, &'a str, Option<&'a Secret>);

/// The jobs on one agent that claim this fleet's deploys without proving it, and how the plan
/// lists them.
pub type Claims = (Vec<TestflingerJob>, Vec<LookAlike>);

/// Our deploys of `rack` on `agent` (every state: the newest sets the cadence), without the
/// result of any.
pub fn read_history(
    (reader, base, bearer): Server<'_>,
    owner: Ownership<'_>,
    rack: &str,
    agent: &str,
) -> Result<AgentHistory, ApiError> {
    let tags = history_tags(&owner, rack, agent);
    let jobs = testflinger::search_jobs(reader, base, bearer, &tags, false)?;
    Ok(AgentHistory {
        waiting_queues: read_waiting_queues((reader, base, bearer), &jobs),
        jobs,
        ..AgentHistory::default()
    })
}

/// Which of `rack`'s deploys carry `spec` and which any spec: two searches for the whole
/// rack, never one per agent.
pub fn read_spec_jobs(
    (reader, base, bearer): Server<'_>,
    owner: Ownership<'_>,
    rack: &str,
    spec: &str,
) -> Result<SpecJobs, ApiError> {
    let [current, marked] = spec_search_tags(&owner, rack, spec).map(|tags| {
        let jobs = testflinger::search_jobs(reader, base, bearer, &tags, false)?;
        Ok::<_, ApiError>(jobs.into_iter().map(|j| j.job_id).collect())
    });
    Ok(SpecJobs {
        spec: spec.to_string(),
        current: current?,
        marked: marked?,
    })
}

/// The claims on each of `agents` of `rack`: one search per batch of agents; `ours` are the
/// job ids the history searches found, whose tags need no reading. A batch that fails is
/// read again one agent at a time, so a failure holds only the agents it concerns.
pub fn read_claims(
    server: Server<'_>,
    owner: Ownership<'_>,
    rack: &str,
    agents: &[&str],
    ours: &BTreeSet<&str>,
) -> BTreeMap<String, Result<Claims, ApiError>> {
    let mut found = BTreeMap::new();
    for batch in batches(agents) {
        match claims_on(server, (owner, rack), batch, ours) {
            Ok(claims) => found.extend(claims.into_iter().map(|(a, c)| (a, Ok(c)))),
            Err(e) if batch.len() == 1 => {
                found.insert(batch[0].to_string(), Err(e));
            }
            Err(_) => {
                for agent in batch {
                    let one = claims_on(server, (owner, rack), &[agent], ours)
                        .map(|mut c| c.remove(*agent).unwrap_or_default());
                    found.insert(agent.to_string(), one);
                }
            }
        }
    }
    found
}

/// `agents` cut into runs whose `tags=agent:<a>` parameters fit one request line.
fn batches<'a, 'b>(agents: &'b [&'a str]) -> Vec<&'b [&'a str]> {
    let mut batches = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, agent) in agents.iter().enumerate() {
        let size = "&tags=".len() + encode_component(&format!("agent:{agent}")).len();
        if i > start && bytes + size > SEARCH_QUERY_BYTES {
            batches.push(&agents[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < agents.len() {
        batches.push(&agents[start..]);
    }
    batches
}

/// One search for the jobs not ended on any of `agents`; each found that is not ours has
/// its tags read once and is a claim on every agent of the batch it names, when
/// `claim_reason` says so. Every agent of the batch gets an entry.
fn claims_on(
    (reader, base, bearer): Server<'_>,
    (owner, rack): (Ownership<'_>, &str),
    agents: &[&str],
    ours: &BTreeSet<&str>,
) -> Result<BTreeMap<String, Claims>, ApiError> {
    let tags: Vec<String> = agents.iter().map(|a| format!("agent:{a}")).collect();
    let active = testflinger::search_active_jobs_with_any(reader, base, bearer, &tags)?;
    let mut claims: BTreeMap<String, Claims> = agents
        .iter()
        .map(|a| (a.to_string(), Claims::default()))
        .collect();
    for job in active {
        if ours.contains(job.job_id.as_str()) {
            continue;
        }
        let job_tags = testflinger::fetch_job_tags(reader, base, bearer, &job.job_id)?;
        for agent in agents {
            if let Some(why) = claim_reason(&owner, agent, &job_tags) {
                let name = format!("{} on {agent}", job.job_id);
                let (jobs, look_alikes) = claims.get_mut(*agent).expect("every agent");
                look_alikes.push(look_alike(Object::Deploy, rack, name, why));
                jobs.push(job.clone());
            }
        }
    }
    Ok(claims)
}

/// Our latest ended deploy in `history` (cancelled included): the one whose result is read
/// for a machine this run deploys.
pub fn last_ended_job(history: &AgentHistory) -> Option<&str> {
    let last = (history.jobs.iter())
        .filter(|j| j.has_ended())
        .max_by_key(|j| j.created_at)?;
    Some(last.job_id.as_str())
}

/// The result of job `job_id`, read under `testflinger::RESULT_MAX_BYTES`; one that cannot be
/// read only makes its outcome unknown.
pub fn read_result((reader, base, bearer): Server<'_>, job_id: &str) -> LastResult {
    let read = match testflinger::fetch_result(reader, base, bearer, job_id) {
        Ok(Some(result)) => ResultRead::Found(result),
        Ok(None) => ResultRead::NoResult,
        Err(e) => ResultRead::Unreadable(e.to_string()),
    };
    LastResult {
        job_id: job_id.to_string(),
        read,
    }
}

/// The queue of each of `jobs` still `waiting` (rarely any: an agent takes a deploy within its
/// polling interval). A definition that cannot be read leaves that job's queue unknown: it is
/// then judged by its age alone, never cancelled on a guess.
fn read_waiting_queues(
    (reader, base, bearer): Server<'_>,
    jobs: &[TestflingerJob],
) -> BTreeMap<String, String> {
    let waiting = jobs.iter().filter(|j| j.job_state == "waiting");
    waiting
        .filter_map(|j| {
            match testflinger::definition::fetch_job_queue(reader, base, bearer, &j.job_id) {
                Ok(queue) => queue.map(|q| (j.job_id.clone(), q)),
                Err(e) => {
                    tracing::warn!(job = %j.job_id, "queue of a waiting deploy unknown: {e}");
                    None
                }
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
