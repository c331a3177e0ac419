//! Reading what racks need: one MAAS machine list per rack, one Testflinger agent list per
//! run, then — only for agents that could be deployed (in the rack, right location, free and
//! not stale, with a queue of their own) — their deploy history (`history.rs`), and the
//! rack's deploys by spec (two searches per rack), while a rack rolls out the result of each
//! of its machines' newest deploys on the new spec, and the result of the latest ended deploy
//! only of the machines this run deploys. A history that
//! cannot be read holds only its machine; a result that cannot be read only makes that
//! outcome unknown. Read-only.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use jiff::Timestamp;

use super::config::Rack;
use super::conventions::looks_for_claims;
use super::eligibility::QueueServers;
use super::history::{Claims, Server, read_claims, read_history, read_spec_jobs};
use super::results::read_needed_results;
use crate::clients::http::{ApiError, Reader};
use crate::clients::{ReadCredentials, maas, testflinger};
use crate::load::Desired;
use crate::parallel::{Task, run_parallel};
use crate::reconcilers::ownership::Ownership;
use crate::snapshot::{AgentHistory, MaasMachine, RackState, SpecJobs, TestflingerAgent};

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
    let servers = QueueServers::count(agent_list, desired);
    for (name, rack) in &racks {
        if let Some(Ok(list)) = machines.get(name.as_str()) {
            for machine in list {
                let agent = agent_list.iter().find(|a| a.name == machine.hostname);
                let deployable = super::eligibility::gate(rack, machine, agent, &servers)
                    .and_then(|_| super::rules::check_alive(rack, agent, now));
                if deployable.is_ok() {
                    wanted.push((name.as_str(), machine.hostname.clone()));
                }
            }
        }
    }
    let server: Server<'_> = (reader, &tf.url, bearer);
    let owner = Ownership::of(desired);
    let histories: Mutex<BTreeMap<(&str, String), Result<AgentHistory, ApiError>>> =
        Mutex::new(BTreeMap::new());
    let tasks: Vec<Task<'_>> = wanted
        .iter()
        .map(|(rack, agent)| {
            let histories = &histories;
            Box::new(move || {
                let got = read_history(server, owner, rack, agent);
                histories
                    .lock()
                    .unwrap()
                    .insert((*rack, agent.clone()), got);
            }) as Task<'_>
        })
        .collect();
    run_parallel(parallel, tasks);
    let histories = histories.into_inner().unwrap();
    let claims = read_all_claims((server, parallel), &racks, owner, &histories);
    let mut specs = read_all_specs((server, parallel), &racks, owner, &machines);

    let mut states = BTreeMap::new();
    for (name, _) in &racks {
        let state = machines
            .remove(name.as_str())
            .expect("machine task ran")
            .map(|machines| {
                let mut state = rack_state(name, machines, &histories, &claims);
                match specs.remove(name.as_str()) {
                    Some(Ok(found)) => state.specs = Some(found),
                    Some(Err(e)) => state.specs_unread = Some(e.to_string()),
                    None => {}
                }
                state
            });
        states.insert((*name).clone(), state);
    }
    read_needed_results(
        (server, parallel),
        &racks,
        &mut states,
        (agent_list, &servers),
        (owner, now),
    );
    (agents, states)
}

type Histories<'a> = BTreeMap<(&'a str, String), Result<AgentHistory, ApiError>>;

/// The look-alike claims on every agent whose history was read, per rack (one task per
/// rack, batched searches within it); none are looked for when no job can claim this fleet
/// without proving it (the default fleet without a key).
fn read_all_claims<'a>(
    (server, parallel): (Server<'_>, usize),
    racks: &[(&'a String, &Rack)],
    owner: Ownership<'_>,
    histories: &Histories<'a>,
) -> BTreeMap<&'a str, BTreeMap<String, Result<Claims, ApiError>>> {
    let found = Mutex::new(BTreeMap::new());
    if !looks_for_claims(&owner) {
        return BTreeMap::new();
    }
    let ours: BTreeSet<&str> = (histories.values().flatten())
        .flat_map(|h| h.jobs.iter().map(|j| j.job_id.as_str()))
        .collect();
    let tasks: Vec<Task<'_>> = racks
        .iter()
        .map(|(name, _)| {
            let agents: Vec<&str> = (histories.iter())
                .filter(|((rack, _), h)| *rack == name.as_str() && h.is_ok())
                .map(|((_, agent), _)| agent.as_str())
                .collect();
            let (found, ours) = (&found, &ours);
            Box::new(move || {
                let claims = read_claims(server, owner, name, &agents, ours);
                found.lock().unwrap().insert(name.as_str(), claims);
            }) as Task<'_>
        })
        .collect();
    run_parallel(parallel, tasks);
    found.into_inner().unwrap()
}

/// The deploys by spec of every rack with a spec whose machines were read (two searches per
/// rack, racks side by side).
fn read_all_specs<'a>(
    (server, parallel): (Server<'_>, usize),
    racks: &[(&'a String, &'a Rack)],
    owner: Ownership<'_>,
    machines: &BTreeMap<&str, Result<Vec<MaasMachine>, ApiError>>,
) -> BTreeMap<&'a str, Result<SpecJobs, ApiError>> {
    let found = Mutex::new(BTreeMap::new());
    let tasks: Vec<Task<'_>> = (racks.iter())
        .filter(|(name, _)| matches!(machines.get(name.as_str()), Some(Ok(_))))
        .filter_map(|(name, rack)| Some((name.as_str(), rack.spec.as_deref()?)))
        .map(|(name, spec)| {
            let found = &found;
            Box::new(move || {
                let got = read_spec_jobs(server, owner, name, spec);
                found.lock().unwrap().insert(name, got);
            }) as Task<'_>
        })
        .collect();
    run_parallel(parallel, tasks);
    found.into_inner().unwrap()
}

/// A rack's machines with the histories and claims read for it; an agent whose history or
/// claims could not be read is recorded as unread (only its machine is held).
fn rack_state(
    name: &str,
    machines: Vec<MaasMachine>,
    histories: &Histories<'_>,
    claims: &BTreeMap<&str, BTreeMap<String, Result<Claims, ApiError>>>,
) -> RackState {
    let mut state = RackState {
        machines,
        ..RackState::default()
    };
    let no_claims = BTreeMap::new();
    let rack_claims = claims.get(name).unwrap_or(&no_claims);
    for ((rack, agent), history) in histories {
        if *rack != name {
            continue;
        }
        let claimed = rack_claims
            .get(agent)
            .cloned()
            .unwrap_or(Ok(Claims::default()));
        match history.clone().and_then(|h| claimed.map(|c| (h, c))) {
            Ok((mut history, (jobs, look_alikes))) => {
                history.look_alikes = jobs;
                state.histories.insert(agent.clone(), history);
                state.look_alikes.extend(look_alikes);
            }
            Err(e) => {
                state.unread.insert(agent.clone(), e.to_string());
            }
        }
    }
    state
}
