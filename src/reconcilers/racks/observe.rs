//! Reading what racks need: one MAAS machine list per rack, one Testflinger agent list per
//! run, then — only for agents that could be deployed (in the rack, right location,
//! free, with a queue of their own) — one job search each and the result of their latest
//! finished job. A result that cannot be read is recorded as such, never held. Read-only.

use std::collections::BTreeMap;
use std::sync::Mutex;

use jiff::Timestamp;

use super::config::Rack;
use super::conventions::{claim_searches, history_tags};
use crate::clients::http::{ApiError, Reader};
use crate::clients::{ReadCredentials, maas, testflinger};
use crate::load::Desired;
use crate::parallel::{Task, run_parallel};
use crate::reconcilers::ownership::{Object, Ownership, look_alike};
use crate::secret::Secret;
use crate::snapshot::{
    AgentHistory, LastResult, LookAlike, MaasMachine, RackState, ResultRead, TestflingerAgent,
    TestflingerJob,
};

/// Reads every enabled rack. Returns the agent list and one result per rack.
#[allow(clippy::type_complexity)]
pub fn snapshot_racks(
    desired: &Desired,
    maas_reader: &Reader,
    reader: &Reader,
    credentials: &ReadCredentials,
    now: Timestamp,
) -> (
    Result<Vec<TestflingerAgent>, ApiError>,
    BTreeMap<String, Result<RackState, ApiError>>,
) {
    let racks: Vec<(&String, &Rack)> = desired.racks.iter().filter(|(_, r)| !r.disabled).collect();
    let (Some(maas_source), Some(tf), false) = (
        &desired.sources.maas,
        &desired.sources.testflinger,
        racks.is_empty(),
    ) else {
        return (Ok(Vec::new()), BTreeMap::new());
    };
    let parallel = desired.settings.http.parallel_requests;
    // A token only when there is a rack to read for; one token serves the snapshot and the
    // deploys.
    let token = crate::clients::testflinger::bearer(desired, reader, credentials, now);
    let bearer = match &token {
        Ok(bearer) => bearer.as_ref(),
        Err(e) => {
            let held = racks
                .iter()
                .map(|(n, _)| ((*n).clone(), Err(e.clone())))
                .collect();
            return (Err(e.clone()), held);
        }
    };

    // Phase 1: the agent list and every rack's machines, in parallel.
    let agents = Mutex::new(None);
    let machines: Mutex<BTreeMap<&str, Result<Vec<MaasMachine>, ApiError>>> =
        Mutex::new(BTreeMap::new());
    let mut tasks: Vec<Task<'_>> = vec![Box::new(|| {
        *agents.lock().unwrap() = Some(testflinger::fetch_agents(reader, &tf.url, bearer));
    })];
    for (name, rack) in &racks {
        let machines = &machines;
        tasks.push(Box::new(move || {
            let got = maas::fetch_machines(
                maas_reader,
                &maas_source.url,
                &credentials.maas_api_key,
                &rack.maas_tags,
            );
            machines.lock().unwrap().insert(name.as_str(), got);
        }));
    }
    run_parallel(parallel, tasks);
    let agents = agents.into_inner().unwrap().expect("agent task ran");
    let mut machines = machines.into_inner().unwrap();
    let Ok(agent_list) = &agents else {
        let e = agents.as_ref().err().cloned().expect("error");
        let held = racks
            .iter()
            .map(|(n, _)| ((*n).clone(), Err(e.clone())))
            .collect();
        return (agents, held);
    };

    // Phase 2: histories of the agents that could be deployed.
    let mut wanted: Vec<(&str, String)> = Vec::new();
    let servers = super::eligibility::QueueServers::count(agent_list, desired);
    for (name, rack) in &racks {
        if let Some(Ok(list)) = machines.get(name.as_str()) {
            for machine in list {
                let agent = agent_list.iter().find(|a| a.name == machine.hostname);
                if super::eligibility::gate(rack, machine, agent, &servers).is_ok() {
                    wanted.push((name.as_str(), machine.hostname.clone()));
                }
            }
        }
    }
    let owner = Ownership::of(desired);
    let histories: Mutex<BTreeMap<(&str, String), Result<History, ApiError>>> =
        Mutex::new(BTreeMap::new());
    let tasks: Vec<Task<'_>> = wanted
        .iter()
        .map(|(rack, agent)| {
            let histories = &histories;
            Box::new(move || {
                let got = read_history((reader, &tf.url, bearer), owner, rack, agent);
                histories
                    .lock()
                    .unwrap()
                    .insert((*rack, agent.clone()), got);
            }) as Task<'_>
        })
        .collect();
    run_parallel(parallel, tasks);
    let histories = histories.into_inner().unwrap();

    let mut states = BTreeMap::new();
    for (name, _) in racks {
        let state = machines
            .remove(name.as_str())
            .expect("machine task ran")
            .and_then(|machines| {
                let mut rack_histories = BTreeMap::new();
                let mut look_alikes = Vec::new();
                for ((rack, agent), history) in &histories {
                    if *rack == name.as_str() {
                        let (history, found) = history.clone()?;
                        rack_histories.insert(agent.clone(), history);
                        look_alikes.extend(found);
                    }
                }
                Ok(RackState {
                    machines,
                    histories: rack_histories,
                    look_alikes,
                })
            });
        states.insert(name.clone(), state);
    }
    (agents, states)
}

/// One agent's history of our deploys, and the jobs tagged like them that cannot prove it.
type History = (AgentHistory, Vec<LookAlike>);

/// Our deploys of `rack` on `agent` (one search), and the jobs not ended that claim to be
/// this fleet's there without proving it (a search or two each, see `claim_searches`).
fn read_history(
    (reader, base, bearer): (&Reader, &str, Option<&Secret>),
    owner: Ownership<'_>,
    rack: &str,
    agent: &str,
) -> Result<History, ApiError> {
    let tags = history_tags(&owner, rack, agent);
    let jobs = testflinger::search_jobs(reader, base, bearer, &tags, false)?;
    let mut claims: Vec<TestflingerJob> = Vec::new();
    let mut look_alikes = Vec::new();
    for search in claim_searches(&owner, agent) {
        let mut found = testflinger::search_jobs(reader, base, bearer, &search.tags, true)?;
        if let (Some(except), false) = (&search.except, found.is_empty()) {
            let theirs = testflinger::search_jobs(reader, base, bearer, except, true)?;
            found.retain(|j| !theirs.iter().any(|t| t.job_id == j.job_id));
        }
        for claim in found {
            let known = jobs.iter().chain(&claims).any(|j| j.job_id == claim.job_id);
            if !known && !claim.has_ended() {
                let name = format!("{} on {agent}", claim.job_id);
                look_alikes.push(look_alike(Object::Deploy, rack, name, search.why));
                claims.push(claim);
            }
        }
    }
    let last_ended = jobs
        .iter()
        .filter(|j| j.has_ended())
        .max_by_key(|j| j.created_at)
        .map(|j| j.job_id.clone());
    // A result that cannot be read (9.7 MB of logs, an error, nonsense) makes this one
    // outcome unknown; it never fails the history, so it never holds the rack.
    let last_result = last_ended.map(|job_id| {
        let read = match testflinger::fetch_result(reader, base, bearer, &job_id) {
            Ok(Some(result)) => ResultRead::Found(result),
            Ok(None) => ResultRead::NoResult,
            Err(e) => ResultRead::Unreadable(e.to_string()),
        };
        LastResult { job_id, read }
    });
    let history = AgentHistory {
        waiting_queues: read_waiting_queues((reader, base, bearer), &jobs),
        jobs,
        last_result,
        look_alikes: claims,
    };
    Ok((history, look_alikes))
}

/// The queue of each of `jobs` still `waiting` (rarely any: an agent takes a deploy within its
/// polling interval). A definition that cannot be read leaves that job's queue unknown: it is
/// then judged by its age alone, never cancelled on a guess.
fn read_waiting_queues(
    (reader, base, bearer): (&Reader, &str, Option<&Secret>),
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
