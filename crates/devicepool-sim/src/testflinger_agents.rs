//! The agents' side of the fake Testflinger, as test hooks: an agent takes jobs only from the
//! queues it polls (those it lists, or only its owned restricted ones; so a job on a queue
//! nobody polls waits forever), posts `job_id` before it
//! changes `state`, streams a log per phase, reports exit codes and updates its provision
//! streak. No HTTP here; the routes only read what these hooks leave behind.

use serde_json::{Map, Value, json};

use super::testflinger::{
    JOB_STATES, SimTestflingerJob, State, TestflingerSim, is_final, lock, tf_time,
};
use super::testflinger_restricted::{Restricted, polled_queues};

/// The phases an agent runs, in order (`TestPhase` in testflinger-common).
pub(super) const PHASES: [&str; 7] = [
    "setup",
    "provision",
    "firmware_update",
    "test",
    "allocate",
    "reserve",
    "cleanup",
];

/// Idle: `waiting` and not holding a job.
fn is_free(agent: &Map<String, Value>) -> bool {
    agent["state"] == "waiting" && agent.get("job_id").is_none_or(|j| j == "")
}

/// True when `agent` polls the job's queue (its owned restricted queues when it has any, else
/// the queues it lists) and the job does not exclude it.
fn may_take(restricted: &Restricted, agent: &Map<String, Value>, job: &SimTestflingerJob) -> bool {
    let serves = polled_queues(restricted, agent)
        .iter()
        .any(|q| q == job.queue());
    let excluded = job.definition["exclude_agents"]
        .as_array()
        .is_some_and(|names| names.contains(&agent["name"]));
    serves && !excluded
}

/// What a real agent logs in a phase: a few lines per phase, enough to look like the server's
/// `<phase>_output`; tests that need the multi-megabyte logs seen in production set them.
fn phase_log(agent: &str, phase: &str, code: i64, at: &str) -> String {
    let mut log = format!(
        "{at} {agent} INFO: DEVICE CONNECTOR: BEGIN {phase}\n\
         {at} {agent} INFO: DEVICE CONNECTOR: Running {phase} on {agent}\n"
    );
    if phase == "provision" {
        log.push_str(&format!(
            "{at} {agent} INFO: DEVICE CONNECTOR: Acquiring node\n\
             {at} {agent} INFO: DEVICE CONNECTOR: Starting node {agent} with distro noble\n"
        ));
    }
    log.push_str(&format!(
        "{at} {agent} INFO: DEVICE CONNECTOR: END {phase}, exit code {code}\n"
    ));
    log
}

/// Binds job `i` to its agent (or a free agent that may take it). `None` when no agent can.
fn bind(st: &State, i: usize) -> Option<usize> {
    let job = &st.jobs[i];
    let bound = st.agents.iter().position(|a| a["job_id"] == job.job_id);
    if bound.is_some() || job.job_state != "waiting" {
        return bound;
    }
    st.agents
        .iter()
        .position(|a| is_free(a) && may_take(&st.restricted, a, job))
}

impl TestflingerSim {
    /// Every free agent (`waiting`, no `job_id`), in registration order, takes the next job
    /// on its queues as `GET /v1/job?queue=..` hands it out: highest `job_priority` first,
    /// then oldest, skipping jobs that exclude it. The job becomes `running`; the agent posts
    /// its `job_id` and still shows `waiting` until `advance_job` moves it on. Returns the
    /// `(agent, job_id)` pairs.
    pub fn poll_agents(&self) -> Vec<(String, String)> {
        let mut st = lock(&self.state);
        let now = json!(tf_time(st.now));
        let mut taken = Vec::new();
        for a in 0..st.agents.len() {
            if !is_free(&st.agents[a]) {
                continue;
            }
            let next = st
                .jobs
                .iter()
                .enumerate()
                .filter(|(_, j)| {
                    j.job_state == "waiting" && may_take(&st.restricted, &st.agents[a], j)
                })
                .max_by_key(|(i, j)| (j.definition["job_priority"].as_i64(), usize::MAX - i))
                .map(|(i, _)| i);
            let Some(i) = next else { continue };
            st.jobs[i].job_state = "running".into();
            let id = st.jobs[i].job_id.clone();
            let agent = &mut st.agents[a];
            agent.insert("job_id".into(), json!(id));
            agent.insert("updated_at".into(), now.clone());
            taken.push((agent["name"].as_str().unwrap_or_default().to_string(), id));
        }
        taken
    }

    /// Moves a job to `job_state` as the server and its agent would. A `waiting` job first
    /// needs a free agent that serves its queue: without one it stays `waiting` and this
    /// returns false. `running` only binds the job (the agent posts `job_id` first and stays
    /// `waiting`); a phase becomes the agent's state; a final state frees the agent. Returns
    /// false (and changes nothing) for an unknown job, an unknown state or a job already final.
    pub fn advance_job(&self, job_id: &str, job_state: &str) -> bool {
        let mut st = lock(&self.state);
        let valid = JOB_STATES[..13].contains(&job_state) && job_state != "waiting";
        let Some(i) = st.jobs.iter().position(|j| j.job_id == job_id) else {
            return false;
        };
        if !valid || is_final(&st.jobs[i].job_state) {
            return false;
        }
        let agent = bind(&st, i);
        if agent.is_none() && st.jobs[i].job_state == "waiting" {
            return false;
        }
        st.jobs[i].job_state = job_state.into();
        let now = json!(tf_time(st.now));
        let Some(a) = agent else { return true };
        let agent = &mut st.agents[a];
        match job_state {
            s if is_final(s) => {
                agent.insert("state".into(), json!("waiting"));
                agent.insert("job_id".into(), json!(""));
            }
            "running" => {
                agent.insert("job_id".into(), json!(job_id));
            }
            s => {
                agent.insert("state".into(), json!(s));
                agent.insert("job_id".into(), json!(job_id));
            }
        }
        agent.insert("updated_at".into(), now);
        true
    }

    /// Sets the log the agent streamed for `phase` of a job (e.g. the megabytes of a real
    /// provision). Returns false for an unknown job or phase.
    pub fn set_phase_output(&self, job_id: &str, phase: &str, log: &str) -> bool {
        let mut st = lock(&self.state);
        match st.jobs.iter_mut().find(|j| j.job_id == job_id) {
            Some(job) if PHASES.contains(&phase) => {
                job.phase_output.insert(phase.into(), log.into());
                true
            }
            _ => false,
        }
    }

    /// Finishes a job as an agent does: takes it if it is still waiting (false when no
    /// agent serves its queue), reports each `(phase, exit code)` (e.g. `("provision", 1)`)
    /// with its log and the device's `device_info`, posts `complete`, and updates the agent's
    /// provision streak. Panics on a phase agents do not have.
    pub fn complete_job(&self, job_id: &str, phase_status: &[(&str, i64)]) -> bool {
        if let Some((phase, _)) = phase_status.iter().find(|(p, _)| !PHASES.contains(p)) {
            panic!("agents have no phase {phase:?}");
        }
        let waiting = self
            .jobs()
            .iter()
            .any(|j| j.job_id == job_id && j.job_state == "waiting");
        if waiting && !self.advance_job(job_id, "running") {
            return false;
        }
        let agent = {
            let mut st = lock(&self.state);
            let at = st.now.strftime("%Y-%m-%d %H:%M:%S,000").to_string();
            let a = st.agents.iter().position(|a| a["job_id"] == job_id);
            let name = a.map_or(String::new(), |a| {
                st.agents[a]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            });
            let Some(job) = st.jobs.iter_mut().find(|j| j.job_id == job_id) else {
                return false;
            };
            if is_final(&job.job_state) {
                return false;
            }
            for (phase, code) in phase_status {
                job.phase_status.insert((*phase).to_string(), *code);
                job.phase_output
                    .entry((*phase).to_string())
                    .or_insert_with(|| phase_log(&name, phase, *code, &at));
            }
            job.device_info = Some(json!({"device_ip": "10.102.0.17"}));
            a.map(|i| (i, phase_status.iter().find(|(p, _)| *p == "provision")))
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
}
