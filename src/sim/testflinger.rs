//! A fake Testflinger server (v1 API: jobs, results, agents, search, cancel, OAuth2 client
//! credentials) on a loopback server, with a deterministic clock and test hooks that play the
//! agents' part. It must not be kinder than the real server: see `testflinger_routes`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use super::server::SimServer;

/// Lifetime of an access token, as on the real server.
pub const TOKEN_LIFETIME_SECONDS: i64 = 600;

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
}

impl SimTestflingerJob {
    pub(super) fn queue(&self) -> &str {
        self.definition["job_queue"].as_str().unwrap_or_default()
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
    pub(super) seed: u64,
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

/// The fake Testflinger: control methods here, HTTP on `url()`.
pub struct TestflingerSim {
    server: SimServer,
    state: Arc<Mutex<State>>,
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
            seed: Timestamp::now().as_nanosecond() as u64,
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

    /// Moves the clock forward (e.g. past a token's 600 s lifetime).
    pub fn advance_clock(&self, seconds: i64) {
        let mut state = lock(&self.state);
        state.now = state
            .now
            .checked_add(SignedDuration::from_secs(seconds))
            .expect("clock in range");
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

    /// Moves a job to `job_state` as the server/agent would: leaving `waiting` binds it to
    /// the first waiting agent on its queue; a final state frees that agent. Returns false
    /// (and changes nothing) for an unknown job, an unknown state or a job already final.
    pub fn advance_job(&self, job_id: &str, job_state: &str) -> bool {
        let mut st = lock(&self.state);
        let valid = JOB_STATES[..13].contains(&job_state) && job_state != "waiting";
        let Some(i) = st.jobs.iter().position(|j| j.job_id == job_id) else {
            return false;
        };
        if !valid || is_final(&st.jobs[i].job_state) {
            return false;
        }
        st.jobs[i].job_state = job_state.into();
        let queue = st.jobs[i].queue().to_string();
        let now = json!(tf_time(st.now));
        let bound = st.agents.iter().position(|a| a["job_id"] == job_id);
        let free = || {
            st.agents.iter().position(|a| {
                a["state"] == "waiting"
                    && a["job_id"] == ""
                    && a["queues"]
                        .as_array()
                        .is_some_and(|q| q.iter().any(|x| x == queue.as_str()))
            })
        };
        let Some(a) = bound.or_else(free) else {
            return true;
        };
        let agent = &mut st.agents[a];
        let (agent_state, agent_job) = match job_state {
            s if is_final(s) => ("waiting", ""),
            "running" => ("setup", job_id),
            s => (s, job_id),
        };
        agent.insert("state".into(), json!(agent_state));
        agent.insert("job_id".into(), json!(agent_job));
        agent.insert("updated_at".into(), now);
        true
    }

    /// Finishes a job as an agent does: reports each `(phase, exit code)` (e.g.
    /// `("provision", 1)`), posts `complete`, and updates the agent's provision streak.
    pub fn complete_job(&self, job_id: &str, phase_status: &[(&str, i64)]) -> bool {
        let agent = {
            let mut st = lock(&self.state);
            let Some(job) = st.jobs.iter_mut().find(|j| j.job_id == job_id) else {
                return false;
            };
            if is_final(&job.job_state) {
                return false;
            }
            for (phase, code) in phase_status {
                job.phase_status.insert((*phase).to_string(), *code);
            }
            st.agents
                .iter()
                .position(|a| a["job_id"] == job_id)
                .map(|i| (i, phase_status.iter().find(|(p, _)| *p == "provision")))
        };
        self.advance_job(job_id, "complete");
        if let Some((i, Some((_, code)))) = agent {
            let mut st = lock(&self.state);
            let record = &mut st.agents[i];
            let kind = if *code == 0 { "pass" } else { "fail" };
            let count = match record.get("provision_streak_type") {
                Some(t) if t == kind => record["provision_streak_count"].as_u64().unwrap_or(0) + 1,
                _ => 1,
            };
            record.insert("provision_streak_type".into(), json!(kind));
            record.insert("provision_streak_count".into(), json!(count));
        }
        true
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
