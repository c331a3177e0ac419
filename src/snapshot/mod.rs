//! SNAPSHOT: what the world looked like when a run read it. Plain data, filled by each kind's
//! `observe` (see `read.rs`), read by the rules; no I/O and no decisions here. What one API
//! returns is defined by its client and re-exported here. A source that failed is kept as its error,
//! so "unknown" can never be mistaken for "zero".

pub mod read;
pub mod recording;

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::clients::docker::DockerContainer;
pub use crate::clients::gitlab::{GitlabJob, GitlabRunner, GitlabRunnerDetails};
use crate::clients::http::ApiError;
pub use crate::clients::lambdatest::{Device, Job};
pub use crate::clients::maas::MaasMachine;
pub use crate::clients::testflinger::{
    TestflingerAgent, TestflingerJob, TestflingerResult, is_final_job_state,
};
use crate::reconcilers::PerKind;

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

/// What each kind read: device pools their queues and LambdaTest, racks the agents and
/// their machines, runner pools theirs.
pub type SnapshotKinds<'a> = PerKind<
    (
        &'a BTreeMap<String, Result<QueueState, ApiError>>,
        &'a Result<LambdatestState, ApiError>,
    ),
    (
        &'a Result<Vec<TestflingerAgent>, ApiError>,
        &'a BTreeMap<String, Result<RackState, ApiError>>,
    ),
    &'a BTreeMap<String, Result<RunnerPoolState, ApiError>>,
>;

impl Snapshot {
    /// What each kind read. It names every field of `Snapshot`, so a kind's reading added
    /// here does not build until [`PerKind`] has the kind, and then neither does any list
    /// of the kinds that leaves it out.
    pub fn kinds(&self) -> SnapshotKinds<'_> {
        let Snapshot {
            taken_at: _,
            queues,
            lambdatest,
            agents,
            racks,
            runner_pools,
        } = self;
        PerKind {
            device_pools: (queues, lambdatest),
            racks: (agents, racks),
            runner_pools,
        }
    }
}

/// One Taskcluster task queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct QueueState {
    pub pending: u64,
    pub claimed: u64,
    /// Workers listed as quarantined, with the time the quarantine ends.
    #[schemars(with = "BTreeMap<String, Option<String>>")]
    pub quarantined: BTreeMap<String, Option<Timestamp>>,
    /// When each worker was last active (`lastDateActive`); read only when
    /// `sources.taskcluster.worker_stale_after` is set.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub last_active: BTreeMap<String, Timestamp>,
    /// When the oldest pending task was inserted (`listPendingTasks`), read only when
    /// something is pending; absent when it was not read or Taskcluster refused it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub oldest_pending: Option<Timestamp>,
}

/// The LambdaTest organisation as seen through its APIs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LambdatestState {
    /// Private-cloud devices by UDID.
    pub devices: BTreeMap<String, Device>,
    /// Jobs of the whole organisation inside the job window, newest first.
    pub jobs: Vec<Job>,
    /// Jobs of the whole organisation in `initiated` state, whatever their age (a
    /// status-filtered read). Absent in a recording made before it was read: then counted
    /// from `jobs`, as that run did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_initiated: Option<OrgInitiated>,
}

/// The org's `initiated` jobs as counted: the read stops once the count reaches `enough`
/// (the `max_initiated` of the run that read it), so a count that reached it means "at
/// least".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OrgInitiated {
    pub count: u32,
    pub enough: u32,
}

impl OrgInitiated {
    /// Whether the count settles the room under a ceiling of `max_initiated`: it is exact,
    /// or the ceiling is no higher than where the count stopped (no room either way).
    pub fn settles(self, max_initiated: u32) -> bool {
        self.count < self.enough || max_initiated <= self.enough
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

/// An object that looks like devicepool's but is not proven this fleet's (no valid ownership
/// MAC, half its labels, an old name with nothing of ours on this host): never counted,
/// touched or removed; the plan lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LookAlike {
    /// `job`, `deploy`, `runner` or `container`.
    pub object: String,
    /// The device pool, rack or runner pool it claims.
    pub pool: String,
    /// What identifies it: job number and device, runner id and description, container name.
    pub name: String,
    /// Why it is not taken as ours.
    pub reason: String,
}

/// One rack as read from MAAS and Testflinger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RackState {
    /// Machines carrying all the rack's tags.
    pub machines: Vec<MaasMachine>,
    /// Our deploy jobs per agent, read for the agents that could be deployed.
    pub histories: BTreeMap<String, AgentHistory>,
    /// Deploy jobs tagged like ours on those agents that cannot prove it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub look_alikes: Vec<LookAlike>,
    /// Agents whose history could not be read, with the failed request: only these machines
    /// are held, the rest of the rack is planned.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub unread: BTreeMap<String, String>,
    /// Which of the rack's deploys ran the spec it renders now and which carry any spec; absent
    /// when the rack has no spec or the searches failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specs: Option<SpecJobs>,
    /// The spec search that failed, with its request: the rack rolls nothing out this run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specs_unread: Option<String>,
}

/// Job ids of a rack's deploys by spec, from two tag searches (`spec:<spec>`, `spec-marked`);
/// only ids its agents' histories also found are believed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SpecJobs {
    /// The spec searched for (a rack whose spec changed since is not judged by it).
    pub spec: String,
    /// Deploys tagged `spec:<spec>`.
    pub current: BTreeSet<String>,
    /// Deploys carrying any spec (`spec-marked`): those not current ran an older one.
    pub marked: BTreeSet<String>,
}

/// Our jobs on one agent and the outcome of the latest finished one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AgentHistory {
    pub jobs: Vec<TestflingerJob>,
    /// The latest ended job and its result, read only when this run deploys the machine
    /// (its outcome is reported next to that decision).
    pub last_result: Option<LastResult>,
    /// The result of the newest deploy when it ran the rack's current spec and has ended, read
    /// only while the rack, or a rack it is the canary of, has outdated machines: how the new
    /// spec fares (the agent's provision streak may still be an older deploy's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_result: Option<LastResult>,
    /// Jobs not ended on the agent, tagged like this fleet's deploys, that cannot prove it:
    /// never our cadence or outcome, but the agent is not deployed behind them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub look_alikes: Vec<TestflingerJob>,
    /// The queue of each job of ours still `waiting`, by job id, when its definition could be
    /// read (`GET /v1/job/<id>`): a job on a queue the agent does not poll never starts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub waiting_queues: BTreeMap<String, String>,
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
    /// Runners and containers named or labelled like this pool's that cannot prove it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub look_alikes: Vec<LookAlike>,
    /// The Docker Engine API version the daemon was spoken to in (`1.41`, …); with several
    /// hosts, the oldest of those that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_api: Option<String>,
    /// With `docker_hosts`: what each host answered (the ids of its containers of ours), or
    /// why it did not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostReading>,
}

/// One Docker host of a runner pool as read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HostReading {
    pub host: String,
    /// Ids of the containers of ours on it (any state).
    pub containers: Vec<String>,
    /// Why it could not be read; its containers are then unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
    /// Paused by devicepool for a roll-out (`idle_only: false`; its maintenance note says so):
    /// outdated and busy when paused, replaced once idle.
    #[serde(default)]
    pub paused_for_rollout: bool,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
    #[schemars(with = "Option<String>")]
    pub contacted_at: Option<Timestamp>,
    /// Jobs running on it now.
    pub running_jobs: u32,
    /// When its latest finished job finished.
    #[schemars(with = "Option<String>")]
    pub last_finished_at: Option<Timestamp>,
    /// When the oldest of its running jobs started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub running_since: Option<Timestamp>,
    /// The id of that job.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_running_job: Option<u64>,
    /// Jobs it has run in all (GitLab's count of the runner's jobs).
    #[serde(default)]
    pub jobs_run: u32,
}

/// A pending GitLab job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PendingJobView {
    pub id: u64,
    pub project: String,
    pub tags: Vec<String>,
    /// When GitLab created the job (absent in recordings made before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
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
    /// The spec digest its `devicepool.spec` label carries (`spec:<hex>`, kept without the
    /// prefix), when it carries a well-formed one; absent on containers made before roll-outs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
}
