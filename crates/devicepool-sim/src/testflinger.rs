//! A fake Testflinger server (v1 API: jobs, results, agents, search, cancel, OAuth2 client
//! credentials) on a loopback server, with a deterministic clock, the server's 7-day job
//! retention, and test hooks that play the agents' part (`testflinger_agents`). It must not be
//! kinder than the real server: see `testflinger_routes`. It uses none of devicepool's clients.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use super::server::SimServer;

/// A client secret for standing fleets (`devicepool sim serve`) to register clients with.
pub const SIM_CLIENT_SECRET: &str = "sim-testflinger-secret-4Kd9";

/// Lifetime of an access token, as on the real server.
pub const TOKEN_LIFETIME_SECONDS: i64 = 600;

/// The server's TTL index deletes a job this long after `created_at`
/// (`DEFAULT_EXPIRATION` in `server/src/testflinger/database.py`).
pub const JOB_RETENTION_SECONDS: i64 = 7 * 24 * 60 * 60;

/// A job as the fake stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimTestflingerJob {
    pub job_id: String,
    pub created_at: Timestamp,
    pub job_state: String,
    /// The submitted definition with the server's defaults (`exclude_agents`, `job_priority`,
    /// `reserve_data.timeout` in seconds), as `GET /v1/job/<id>` returns it minus `job_id`.
    pub definition: Value,
    /// Exit code per reported phase (`provision` → `provision_status`).
    pub phase_status: BTreeMap<String, i64>,
    /// Log per phase, as the agent streamed it (`provision` → `provision_output`).
    pub phase_output: BTreeMap<String, String>,
    /// What the agent posted as `device_info` (e.g. `device_ip`), once it did.
    pub device_info: Option<Value>,
}

impl SimTestflingerJob {
    /// The queue it was submitted to.
    pub fn queue(&self) -> &str {
        self.definition["job_queue"].as_str().unwrap_or_default()
    }

    /// The tags it was submitted with.
    pub fn tags(&self) -> Vec<&str> {
        self.definition["tags"]
            .as_array()
            .map(|t| t.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
}

pub(super) struct Client {
    pub(super) id: String,
    pub(super) secret: String,
    pub(super) role: String,
}

pub(super) struct IssuedToken {
    pub(super) token: String,
    pub(super) client_id: String,
    pub(super) role: String,
    pub(super) expires_at: Timestamp,
}

pub(super) struct State {
    pub(super) now: Timestamp,
    /// "OIDC configured": anonymous requests are refused.
    pub(super) auth_required: bool,
    pub(super) clients: Vec<Client>,
    pub(super) tokens: Vec<IssuedToken>,
    /// Raw agent records (keys only when "sent" by the agent), in insertion order.
    pub(super) agents: Vec<Map<String, Value>>,
    pub(super) jobs: Vec<SimTestflingerJob>,
    /// Accepted `POST /v1/job` bodies, in order.
    pub(super) submissions: Vec<Value>,
    /// Restricted queues and their owners.
    pub(super) restricted: super::testflinger_restricted::Restricted,
    /// Agents whose process has stopped: they post nothing more, not even the daily heartbeat.
    pub(super) stopped: BTreeSet<String>,
    pub(super) seed: u64,
    /// Bytes of each `<phase>_output` and `<phase>_serial` a result carries, when set.
    pub(super) result_log_bytes: Option<usize>,
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `YYYY-MM-DDTHH:MM:SSZ`, Testflinger's datetime format.
pub(super) fn tf_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// True for the states after which a job never changes.
pub(super) fn is_final(job_state: &str) -> bool {
    matches!(job_state, "complete" | "completed" | "cancelled")
}

/// Every `job_state` the server knows, in lifecycle order.
pub(super) const JOB_STATES: [&str; 14] = [
    "waiting",
    "running",
    "setup",
    "provision",
    "firmware_update",
    "test",
    "allocate",
    "allocated",
    "reserve",
    "cleanup",
    "complete",
    "completed",
    "cancelled",
    "active",
];

/// A running agent that is `waiting` or `offline` posts its record again once a day even when
/// nothing changed (testflinger#789), so the server does not expire it: `updated_at` moves to
/// the last whole day after it that has passed. Agents running a job post on each phase.
const HEARTBEAT_SECONDS: i64 = 24 * 60 * 60;

fn post_heartbeats(state: &mut State) {
    let now = state.now;
    for agent in &mut state.agents {
        let name = agent["name"].as_str().unwrap_or_default();
        let idle = agent["state"] == "waiting" || agent["state"] == "offline";
        if !idle || state.stopped.contains(name) {
            continue;
        }
        let last = agent["updated_at"]
            .as_str()
            .and_then(|t| t.parse::<Timestamp>().ok());
        let Some(last) = last else { continue };
        let days = now.duration_since(last).as_secs() / HEARTBEAT_SECONDS;
        if days > 0 {
            let posted = last + SignedDuration::from_secs(days * HEARTBEAT_SECONDS);
            agent.insert("updated_at".into(), json!(tf_time(posted)));
        }
    }
}

/// The fake Testflinger: control methods here, HTTP on `url()`.
pub struct TestflingerSim {
    server: SimServer,
    pub(super) state: Arc<Mutex<State>>,
}

impl TestflingerSim {
    /// Starts with no agents, no jobs, anonymous access allowed, the clock at
    /// 2026-11-25T10:00:00Z.
    pub fn start() -> std::io::Result<TestflingerSim> {
        let state = Arc::new(Mutex::new(State {
            now: Timestamp::from_second(1_795_600_800).expect("fixed start time"),
            auth_required: false,
            clients: Vec::new(),
            tokens: Vec::new(),
            agents: Vec::new(),
            jobs: Vec::new(),
            submissions: Vec::new(),
            restricted: BTreeMap::new(),
            stopped: BTreeSet::new(),
            seed: Timestamp::now().as_nanosecond() as u64,
            result_log_bytes: None,
        }));
        let handler = super::testflinger_routes::Handler(Arc::clone(&state));
        let server = SimServer::start(Arc::new(handler))?;
        Ok(TestflingerSim { server, state })
    }

    /// Base URL, e.g. `http://127.0.0.1:40123` (routes live under `/v1/`).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The underlying server (request log, fault injection).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// The fake's clock (job `created_at`, agent `updated_at`, token expiry).
    pub fn now(&self) -> Timestamp {
        lock(&self.state).now
    }

    /// Moves the clock forward (e.g. past a token's 600 s lifetime). Jobs created more than
    /// 7 days before the new time are deleted, as the server's TTL index does.
    pub fn advance_clock(&self, seconds: i64) {
        let mut state = lock(&self.state);
        let now = state
            .now
            .checked_add(SignedDuration::from_secs(seconds))
            .expect("clock in range");
        state.now = now;
        let retention = SignedDuration::from_secs(JOB_RETENTION_SECONDS);
        state
            .jobs
            .retain(|j| now.duration_since(j.created_at) < retention);
        post_heartbeats(&mut state);
    }

    /// The agent's process stops (a dead host): its record stays as it last posted it, and it
    /// posts nothing more, not even the daily heartbeat.
    pub fn stop_agent(&self, name: &str) {
        lock(&self.state).stopped.insert(name.into());
    }

    /// "OIDC on": anonymous requests get 401; a bearer token is needed everywhere.
    pub fn set_auth_required(&self, required: bool) {
        lock(&self.state).auth_required = required;
    }

    /// Registers client credentials for `POST /v1/oauth2/token` with a role
    /// (`admin`, `manager`, `contributor` or `agent`).
    pub fn add_client(&self, client_id: &str, client_secret: &str, role: &str) {
        lock(&self.state).clients.push(Client {
            id: client_id.into(),
            secret: client_secret.into(),
            role: role.into(),
        });
    }

    /// Adds an agent record as the agent itself would post it; `provision_streak` is
    /// `(type, count)` (`pass`/`fail`), absent when the agent never posted provision logs.
    pub fn add_agent(
        &self,
        name: &str,
        state: &str,
        queues: &[&str],
        location: &str,
        provision_streak: Option<(&str, u64)>,
    ) {
        let mut st = lock(&self.state);
        let mut record = Map::new();
        record.insert("name".into(), json!(name));
        record.insert("state".into(), json!(state));
        record.insert("queues".into(), json!(queues));
        record.insert("location".into(), json!(location));
        record.insert("job_id".into(), json!(""));
        record.insert("provision_type".into(), json!("maas2"));
        record.insert("comment".into(), json!(""));
        record.insert("identifier".into(), json!(format!("sim-{name}")));
        record.insert("updated_at".into(), json!(tf_time(st.now)));
        if let Some((kind, count)) = provision_streak {
            record.insert("provision_streak_type".into(), json!(kind));
            record.insert("provision_streak_count".into(), json!(count));
        }
        st.agents.retain(|a| a["name"] != name);
        st.agents.push(record);
    }

    /// Sets an agent's state (as an admin or the agent would). Panics on an unknown agent.
    pub fn set_agent_state(&self, name: &str, state: &str) {
        let mut st = lock(&self.state);
        let now = tf_time(st.now);
        let agent = st
            .agents
            .iter_mut()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("no agent {name:?}"));
        agent.insert("state".into(), json!(state));
        agent.insert("updated_at".into(), json!(now));
    }

    /// Every job, in submission order.
    pub fn jobs(&self) -> Vec<SimTestflingerJob> {
        lock(&self.state).jobs.clone()
    }

    /// Accepted `POST /v1/job` bodies, as sent, in order.
    pub fn submissions(&self) -> Vec<Value> {
        lock(&self.state).submissions.clone()
    }

    /// The raw agent records, as `GET /v1/agents/data` lists them.
    pub fn agents(&self) -> Vec<Map<String, Value>> {
        lock(&self.state).agents.clone()
    }
}

#[cfg(test)]
#[path = "testflinger_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "testflinger_schema_tests.rs"]
mod schema_tests;
