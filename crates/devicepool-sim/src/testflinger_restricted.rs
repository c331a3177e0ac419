//! Restricted queues of the fake Testflinger, as the server and its agents treat them: each has
//! owners (client ids); `GET /v1/agents/data` adds to each agent the `restricted_to` of its
//! queues that are restricted and owned; an agent with any polls only those (testflinger#724);
//! only an owner may submit to one (401 anonymous, 403 otherwise). No HTTP here.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::http::Response;
use super::testflinger::{TestflingerSim, lock};
use super::testflinger_routes::abort;

/// Restricted queue → the client ids that own it (and so may submit to it).
pub(super) type Restricted = BTreeMap<String, Vec<String>>;

/// The `restricted_to` the server adds to an agent's record: its listed queues that are
/// restricted and have an owner, with their owners.
pub(super) fn restricted_to(restricted: &Restricted, agent: &Map<String, Value>) -> Value {
    let listed = agent["queues"].as_array().into_iter().flatten();
    let owned = listed.filter_map(Value::as_str).filter_map(|q| {
        let owners = restricted.get(q).filter(|o| !o.is_empty())?;
        Some((q.to_string(), json!(owners)))
    });
    Value::Object(owned.collect())
}

/// The queues an agent asks jobs from: its owned restricted queues when it has any, else
/// every queue it lists (the agent's `check_jobs`).
pub(super) fn polled_queues(restricted: &Restricted, agent: &Map<String, Value>) -> Vec<String> {
    let owned: Vec<String> = match restricted_to(restricted, agent) {
        Value::Object(map) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    if !owned.is_empty() {
        return owned;
    }
    let listed = agent["queues"].as_array().into_iter().flatten();
    listed.filter_map(Value::as_str).map(String::from).collect()
}

/// `check_queue_restriction`: a restricted queue takes jobs only from an authenticated client
/// allowed to use it (here: one of its owners).
pub(super) fn check_submitter(
    restricted: &Restricted,
    queue: &str,
    client_id: Option<&str>,
) -> Result<(), Response> {
    let Some(owners) = restricted.get(queue) else {
        return Ok(());
    };
    match client_id {
        None => Err(abort(
            401,
            &format!("Authentication required to push to restricted queue: {queue}"),
        )),
        Some(id) if owners.iter().any(|o| o == id) => Ok(()),
        Some(_) => Err(abort(
            403,
            &format!("Not enough permissions to push to the restricted queue: {queue}"),
        )),
    }
}

/// The restricted queues `client_id` may submit to (its token's `allowed_queues`).
pub(super) fn allowed_queues(restricted: &Restricted, client_id: &str) -> Vec<String> {
    let owned = restricted
        .iter()
        .filter(|(_, o)| o.iter().any(|c| c == client_id));
    owned.map(|(q, _)| q.clone()).collect()
}

impl TestflingerSim {
    /// Makes `queue` restricted, owned by `owners` (client ids), as an admin does with
    /// `POST /v1/restricted-queues`. No owners: restricted, but no agent polls it specially.
    pub fn restrict_queue(&self, queue: &str, owners: &[&str]) {
        let owners = owners.iter().map(|o| o.to_string()).collect();
        lock(&self.state).restricted.insert(queue.into(), owners);
    }
}

#[cfg(test)]
#[path = "testflinger_restricted_tests.rs"]
mod tests;
