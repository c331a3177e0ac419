//! The plan as data: versioned, serialisable (`plan --out`), with every action and every
//! decision not to act carrying its reason and the numbers behind it. No logic here beyond
//! naming a state in the plan's own words.

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The word the plan file uses for a state or reason (`not_waiting`, `left_alone`, …), so
/// that text output says what the JSON says.
pub fn word_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// Version of the plan file format; `apply --plan` refuses any other.
pub const PLAN_FORMAT: u32 = 2;

/// What a run would do. Saved with `plan --out`, it only selects which of a fresh plan's
/// actions `apply --plan` may carry out: every value sent comes from the fresh plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Plan file format version.
    pub format: u32,
    /// Version of devicepool that made the plan.
    pub devicepool: String,
    /// The desired-state file the plan was made from.
    pub config_path: String,
    /// SHA-256 digest of that file (`sha256:<hex>`); `apply --plan` refuses a plan made from
    /// another file.
    pub config_hash: String,
    /// When the world was read.
    #[schemars(with = "String")]
    pub snapshot_at: Timestamp,
    /// `snapshot_at` + `settings.plan_lifetime`, for the reader. `apply --plan` does not trust
    /// it: it works the expiry out again from the current desired state.
    #[schemars(with = "String")]
    pub expires_at: Timestamp,
    /// Planned from a recorded snapshot (`plan --from-snapshot`): for review only, refused by
    /// `apply --plan`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
    /// One entry per device pool, by name.
    pub device_pools: Vec<DevicePoolPlan>,
    /// One entry per rack, by name.
    #[serde(default)]
    pub racks: Vec<RackPlan>,
    /// One entry per runner pool, by name.
    #[serde(default)]
    pub runner_pools: Vec<RunnerPoolPlan>,
}

/// The decision for one device pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePoolPlan {
    pub pool: String,
    pub task_queue: String,
    pub status: PoolStatus,
    /// One line saying what bound the result, e.g. "clipped by max_starts_per_run: wanted 23,
    /// starting 10".
    pub reason: String,
    /// The figures behind the decision (absent when the pool is held or disabled).
    pub numbers: Option<PoolNumbers>,
    /// The rule that bound the number of starts.
    pub bound: Option<Bound>,
    /// Jobs to start, one per device.
    pub starts: Vec<StartJob>,
    /// What each device of the pool is doing and why it is or is not used.
    pub devices: Vec<DeviceDecision>,
}

/// Whether a pool was planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "state", deny_unknown_fields)]
pub enum PoolStatus {
    /// Planned from fresh data.
    Planned,
    /// Not planned: a source it depends on failed, or its job file could not be rendered.
    Held { reason: String },
    /// Switched off in the desired state.
    Disabled,
}

/// The numbers a device pool's decision rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PoolNumbers {
    /// Devices listed in the pool.
    pub devices: u32,
    /// Of those, `active` (idle) in LambdaTest.
    pub active: u32,
    /// Active devices whose Taskcluster worker is quarantined.
    pub quarantined: u32,
    /// Active devices that already have a job of ours in flight.
    pub in_flight: u32,
    /// Devices a job may be started on.
    pub free: u32,
    /// Pending tasks in the task queue.
    pub pending: u64,
    /// Claimed tasks in the task queue.
    pub claimed: u64,
    /// Our jobs for this pool not yet running (they will claim pending tasks).
    pub waiting: u32,
    /// Pending tasks not yet covered by a waiting job: pending − waiting.
    pub demand: u64,
    /// `max_starts_per_run` of the pool.
    pub cap: u32,
    /// Org-wide jobs in `initiated` state, and the ceiling.
    pub org_initiated: u32,
    pub max_initiated: u32,
    /// Jobs to start.
    pub starts: u32,
}

/// The rule that bound the number of starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Every pending task is covered.
    Demand,
    /// Not enough free devices.
    FreeDevices,
    /// The pool's `max_starts_per_run`.
    MaxStartsPerRun,
    /// Org-wide `max_initiated` left no room.
    MaxInitiated,
    /// `settings.max_actions_per_run`, shared with every other pool, rack and runner pool.
    MaxActionsPerRun,
}

impl Bound {
    pub fn label(self) -> &'static str {
        match self {
            Self::Demand => "demand",
            Self::FreeDevices => "free devices",
            Self::MaxStartsPerRun => "max_starts_per_run",
            Self::MaxInitiated => "max_initiated",
            Self::MaxActionsPerRun => "max_actions_per_run",
        }
    }
}

/// A HyperExecute job to start on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartJob {
    pub udid: String,
    /// `--labels` of the launch: `<program>,<pool>,<udid>`.
    pub labels: Vec<String>,
    /// The rendered job file, secrets shown as `<redacted>`.
    pub job_file: String,
    /// What must still hold when the job is launched.
    pub preconditions: Vec<String>,
}

/// What one device of a pool is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceDecision {
    pub udid: String,
    pub state: DeviceState,
    /// Extra detail: a status, a job number, a quarantine end.
    pub detail: String,
}

/// A device's state as the planner sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// A job will be started on it.
    Start,
    /// Free, but not needed in this run.
    Spare,
    /// Not `active` in LambdaTest.
    Busy,
    /// Its Taskcluster worker is quarantined.
    Quarantined,
    /// A job of ours is queued or running on it.
    InFlight,
    /// LambdaTest does not list it.
    Unknown,
}

/// The decision for one rack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RackPlan {
    pub rack: String,
    pub status: PoolStatus,
    /// One line: how many deploys and what bound them.
    pub reason: String,
    /// Deploy jobs to submit, one per agent.
    pub deploys: Vec<Deploy>,
    /// Every machine of the rack and why it is or is not deployed.
    pub machines: Vec<MachineDecision>,
}

/// A Testflinger deploy job to submit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    pub agent: String,
    /// The queue only this agent serves (the first such in its own `queues` order).
    pub queue: String,
    /// Tags of the job: `devicepool`, `rack:<rack>`, `agent:<agent>`.
    pub tags: Vec<String>,
    /// The rendered job (YAML), submitted as JSON.
    pub job_file: String,
    /// What must still hold when the job is submitted.
    pub preconditions: Vec<String>,
}

/// One machine of a rack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MachineDecision {
    pub hostname: String,
    pub state: MachineState,
    /// A status, a job id, the time a deploy becomes due, a streak.
    pub detail: String,
    /// Our previous deploy of this agent, when known.
    pub last_deploy: Option<LastDeploy>,
}

/// Why a machine is or is not deployed in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MachineState {
    /// A deploy job will be submitted.
    Deploy,
    /// Due, but the rack's `max_deploys_per_run` is used up.
    Capped,
    /// No Testflinger agent has the machine's hostname.
    AgentNotFound,
    /// The agent's name or its queue cannot become a tag or queue of ours (empty, or holds a
    /// comma, whitespace or a control character).
    UnusableName,
    /// The agent's location does not match `agent_location`.
    OtherLocation,
    /// MAAS reports the machine as unusable (e.g. Broken).
    MachineStatus,
    /// The agent is not `waiting`, or has just taken a job (`job_id` set).
    NotWaiting,
    /// Every queue the agent lists is served by another agent too (or it lists none): a job
    /// could run elsewhere or, on a queue nobody serves, wait forever.
    NoPrivateQueue,
    /// Provisioning failed more than `max_fail_streak` times in a row.
    FailStreak,
    /// A job of ours for this agent is still active.
    InFlight,
    /// The last deploy is younger than `every`.
    NotDue,
    /// A job of ours has no readable creation time, so when the machine was last deployed is
    /// unknown: it is not deployed on a guess.
    HistoryUnknown,
}

/// Our latest finished deploy of an agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LastDeploy {
    pub job_id: String,
    pub job_state: String,
    /// Exit code per phase the agent reported (`setup`, `provision`, `test`, ...), 0 = success.
    pub phase_status: BTreeMap<String, i64>,
    pub outcome: DeployOutcome,
    /// Why: the first failed phase and its exit code, or why the outcome is unknown.
    pub note: String,
}

/// How our previous deploy of an agent ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeployOutcome {
    /// Every reported phase exited 0.
    Ok,
    /// A phase exited non-zero, or the job was cancelled.
    Failed,
    /// The result could not be read (too large, undecodable, an error), the server has none,
    /// or it reports no phase.
    Unknown,
}

/// The decision for one runner pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerPoolPlan {
    pub pool: String,
    pub status: PoolStatus,
    /// One line: starts and removals and what bound them.
    pub reason: String,
    pub numbers: Option<RunnerNumbers>,
    /// Runners to start, one container each.
    pub starts: Vec<RunnerStart>,
    /// Runners and containers to remove.
    pub removals: Vec<RunnerRemoval>,
    /// Every runner of ours and what happens to it.
    pub runners: Vec<RunnerDecision>,
}

/// The numbers behind a runner pool's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerNumbers {
    pub runners: u32,
    pub busy: u32,
    pub idle: u32,
    /// Offline, stale, or without a running container, past the grace period.
    pub gone: u32,
    /// Pending jobs whose tags the pool satisfies.
    pub pending: u32,
    pub min_idle: u32,
    pub max_runners: u32,
    pub starts: u32,
    pub removals: u32,
}

/// A runner to register and start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerStart {
    /// Runner description and container name: `devicepool-<pool>-<stamp>-<n>`.
    pub name: String,
    pub tags: Vec<String>,
    /// The rendered container spec (JSON), the runner token shown as `<redacted>`.
    pub container_spec: String,
}

/// A runner or container to remove.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerRemoval {
    pub runner_id: Option<u64>,
    pub container_id: Option<String>,
    pub why: RemovalReason,
    pub detail: String,
    /// What must still hold when it is removed.
    pub preconditions: Vec<String>,
}

/// Why something is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// Idle for at least `idle_cooldown` while more than `min_idle` runners are idle.
    Idle,
    /// Offline, stale or never contacted, past `offline_grace`.
    Offline,
    /// Its container exited or vanished, past `offline_grace`.
    ContainerGone,
    /// A container with our labels and no runner record.
    Orphan,
}

/// One runner of ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerDecision {
    pub id: u64,
    pub description: String,
    pub state: RunnerState,
    pub detail: String,
}

/// What the planner makes of a runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunnerState {
    /// Running a job: never removed.
    Busy,
    /// Idle and kept.
    Idle,
    /// Removed in this run.
    Remove,
    /// Would be removed, but a budget kept it.
    Kept,
    /// Paused by someone other than devicepool: neither removed nor counted as capacity.
    LeftAlone,
}
