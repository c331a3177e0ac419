//! SNAPSHOT: what the world looked like when a run read it. Plain data, filled by `sources`,
//! read by `plan`; no I/O and no decisions here. A source that failed is kept as its error,
//! so "unknown" can never be mistaken for "zero".

pub mod read;

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clients::http::ApiError;

/// Everything one run read.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// When the reading started.
    pub taken_at: Timestamp,
    /// Per Taskcluster task queue: counts and quarantined workers.
    pub queues: BTreeMap<String, Result<QueueState, ApiError>>,
    /// LambdaTest devices and recent jobs (one reading shared by all device pools).
    pub lambdatest: Result<LambdatestState, ApiError>,
    /// Testflinger agents (one reading shared by all racks).
    pub agents: Result<Vec<TestflingerAgent>, ApiError>,
    /// Per rack: its machines and the histories of its deployable agents.
    pub racks: BTreeMap<String, Result<RackState, ApiError>>,
    /// Per runner pool: runners, pending jobs and containers.
    pub runner_pools: BTreeMap<String, Result<RunnerPoolState, ApiError>>,
}

/// One Taskcluster task queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QueueState {
    pub pending: u64,
    pub claimed: u64,
    /// Workers listed as quarantined, with the time the quarantine ends.
    #[schemars(with = "BTreeMap<String, Option<String>>")]
    pub quarantined: BTreeMap<String, Option<Timestamp>>,
}

/// The LambdaTest organisation as seen through its APIs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LambdatestState {
    /// Private-cloud devices by UDID.
    pub devices: BTreeMap<String, Device>,
    /// Jobs of the whole organisation inside the job window, newest first.
    pub jobs: Vec<Job>,
}

/// A real device in LambdaTest's private cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Device {
    pub name: String,
    /// `active` means idle and available; anything else is unavailable.
    pub status: String,
}

/// A HyperExecute job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Job {
    pub id: String,
    pub job_number: u64,
    pub status: String,
    /// The job's labels, parsed from the JSON-encoded `job_label`; `None` when absent or not
    /// a JSON list of strings.
    pub labels: Option<Vec<String>>,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
}

impl Job {
    /// HyperExecute statuses of a job that still holds or waits for a device.
    pub fn is_active(&self) -> bool {
        matches!(self.status.as_str(), "initiated" | "running")
    }

    /// Statuses after which a job will never hold a device again.
    pub fn has_ended(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed"
                | "failed"
                | "aborted"
                | "timeout"
                | "lambda_error"
                | "cancelled"
                | "error"
                | "passed"
                | "skipped"
                | "stopped"
                | "ignored"
                | "muted"
        )
    }
}

/// A MAAS machine, as read for a rack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MaasMachine {
    pub hostname: String,
    pub system_id: String,
    /// MAAS's `status` number (4 = Ready, 6 = Deployed, ...).
    pub status: u8,
    /// MAAS's display label, e.g. `Ready`, `Failed deployment`.
    pub status_name: String,
    pub tags: Vec<String>,
    pub zone: String,
    pub pool: String,
}

/// A Testflinger agent record. Optional fields are `None` when the agent never sent them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestflingerAgent {
    pub name: String,
    /// `waiting` when idle; `offline`, `maintenance`, `restart`, or the phase of a running job.
    pub state: String,
    pub queues: Vec<String>,
    pub location: String,
    /// The job the agent runs; `None` when idle (the API sends `""`).
    pub job_id: Option<String>,
    #[schemars(with = "Option<String>")]
    pub updated_at: Option<Timestamp>,
    /// `pass` or `fail` (undocumented, computed from provision logs).
    pub provision_streak_type: Option<String>,
    pub provision_streak_count: Option<u64>,
}

/// A Testflinger job found by a tag search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestflingerJob {
    pub job_id: String,
    pub job_state: String,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
}

impl TestflingerJob {
    /// `complete` (what agents post), `completed` and `cancelled` are final.
    pub fn has_ended(&self) -> bool {
        is_final_job_state(&self.job_state)
    }
}

/// True for the job states after which a Testflinger job never changes again.
pub fn is_final_job_state(job_state: &str) -> bool {
    matches!(job_state, "complete" | "completed" | "cancelled")
}

/// `GET /v1/result/<id>` once results exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TestflingerResult {
    pub job_state: String,
    /// Exit code per reported phase (`provision_status` → `provision`), 0 = success.
    pub phase_status: BTreeMap<String, i64>,
}

impl TestflingerResult {
    /// The provision phase's exit code, once reported.
    pub fn provision_status(&self) -> Option<i64> {
        self.phase_status.get("provision").copied()
    }
}

/// What `GET /v1/result/<id>` gave for a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ResultRead {
    Found(TestflingerResult),
    /// 204: the server has no result for the job.
    NoResult,
    /// Too large, undecodable or an error: this job's outcome is unknown, nothing more.
    Unreadable(String),
}

/// Our latest ended job on an agent and what its result said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LastResult {
    pub job_id: String,
    pub read: ResultRead,
}

/// One rack as read from MAAS and Testflinger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RackState {
    /// Machines carrying all the rack's tags.
    pub machines: Vec<MaasMachine>,
    /// Our deploy jobs per agent, read for the agents that could be deployed.
    pub histories: BTreeMap<String, AgentHistory>,
}

/// Our jobs on one agent and the outcome of the latest finished one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentHistory {
    pub jobs: Vec<TestflingerJob>,
    /// The latest ended job and its result, when there is an ended job.
    pub last_result: Option<LastResult>,
}

/// One runner pool as the planner needs it: GitLab runners of ours, matching pending jobs,
/// and containers carrying our labels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RunnerPoolState {
    pub runners: Vec<RunnerView>,
    /// Pending jobs of the pool's projects, with their tags.
    pub pending_jobs: Vec<PendingJobView>,
    /// Containers labelled `devicepool.pool=<pool>`.
    pub containers: Vec<ContainerView>,
    /// Every runner id GitLab listed (ours or not): a container is an orphan only when its
    /// runner id is not among them.
    pub known_runner_ids: std::collections::BTreeSet<u64>,
}

/// A GitLab runner of ours with what decides its fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RunnerView {
    pub id: u64,
    pub description: String,
    /// GitLab's `status`: online, offline, stale, never_contacted, paused.
    pub status: String,
    pub paused: bool,
    /// Paused by devicepool on the way to removing it (its maintenance note says so).
    pub paused_for_removal: bool,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
    #[schemars(with = "Option<String>")]
    pub contacted_at: Option<Timestamp>,
    /// Jobs running on it now.
    pub running_jobs: u32,
    /// When its latest finished job finished.
    #[schemars(with = "Option<String>")]
    pub last_finished_at: Option<Timestamp>,
}

/// A pending GitLab job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PendingJobView {
    pub id: u64,
    pub project: String,
    pub tags: Vec<String>,
}

/// A container with our labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContainerView {
    pub id: String,
    pub name: String,
    /// Docker `State`: running, exited, created, dead, ...
    pub state: String,
    /// From the `devicepool.runner-id` label.
    pub runner_id: Option<u64>,
    #[schemars(with = "Option<String>")]
    pub created: Option<Timestamp>,
}

/// A GitLab runner as listed (`GET /runners/all`); the list has no tags or `contacted_at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GitlabRunner {
    pub id: u64,
    pub description: String,
    /// `instance_type`, `group_type` or `project_type`.
    pub runner_type: String,
    pub paused: bool,
    /// Contacted within the last 2 hours (paused or not).
    pub online: bool,
    /// `online`, `offline`, `stale`, `never_contacted` (or `paused`).
    pub status: String,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
}

/// One runner's details (`GET /runners/:id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GitlabRunnerDetails {
    pub id: u64,
    pub description: String,
    pub paused: bool,
    pub online: bool,
    pub status: String,
    pub tag_list: Vec<String>,
    /// `None` when the runner never contacted GitLab.
    #[schemars(with = "Option<String>")]
    pub contacted_at: Option<Timestamp>,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
    /// Free text set with `PUT /runners/:id`; devicepool marks its own removal pauses here.
    #[serde(default)]
    pub maintenance_note: Option<String>,
    /// GitLab left `maintenance_note` out (it shows the note only to tokens allowed to see it),
    /// so whether devicepool paused the runner cannot be told from it.
    #[serde(default)]
    pub maintenance_note_hidden: bool,
}

/// A GitLab CI job (of a runner, or pending in a project).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct GitlabJob {
    pub id: u64,
    pub status: String,
    /// Only sent by the project jobs listing; empty otherwise.
    pub tag_list: Vec<String>,
    #[schemars(with = "Option<String>")]
    pub finished_at: Option<Timestamp>,
}

/// A Docker container as listed (`GET /containers/json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DockerContainer {
    pub id: String,
    /// The first name, without Docker's leading `/`.
    pub name: String,
    pub image: String,
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    pub state: String,
    /// Human text such as `Up 3 hours`.
    pub status: String,
    pub labels: BTreeMap<String, String>,
    /// Unix seconds.
    pub created: i64,
}
