//! A device pool's decision as plan data: the numbers behind it, the bound that limited it,
//! each job to start and what each device is doing. Plain serialisable data; no logic beyond
//! naming a bound.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::allocation::Strategy;
use crate::reconcilers::PoolStatus;

/// The decision for one device pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePoolPlan {
    pub pool: String,
    pub task_queue: String,
    pub status: PoolStatus,
    /// One line saying what bound the result, e.g. "clipped by max_starts_per_run: demand 23,
    /// wanted 10, starting 10" (the want as `explain` computes it).
    pub reason: String,
    /// The figures behind the decision (absent when the pool is held or disabled).
    pub numbers: Option<PoolNumbers>,
    /// The rule that bound the number of starts.
    pub bound: Option<Bound>,
    /// Jobs to start, one per device.
    pub starts: Vec<StartJob>,
    /// What each device of the pool is doing and why it is or is not used.
    pub devices: Vec<DeviceDecision>,
    /// For a pool in a device group: how the group's free devices were shared out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupShare>,
    /// The schedule period in effect when this was planned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Which period that is (number, cron, zone), for the metrics' `period` label; absent
    /// when none is in effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_period: Option<crate::reconcilers::schedule::PeriodInEffect>,
    /// The roll-out of a changed spec: what runs an outdated one and how many are replaced
    /// (absent when not planned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<crate::reconcilers::rollout::RolloutPlan>,
    /// This pool's jobs of ours the reading holds, by the spec each ran (the `spec:` label),
    /// for the roll-out's report (absent when not planned or when it has no job).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generations: Vec<Generation>,
}

/// A pool's jobs of ours that ran one spec, as the reading holds them (jobs of the last
/// `sources.lambdatest.job_window`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Generation {
    /// The digest the jobs carry; absent for jobs with no valid `spec:` label (started before
    /// roll-outs existed): an unknown spec, never counted as outdated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
    /// Jobs of ours that ran it.
    pub jobs: u32,
    /// Of them, those that ended failed (`failed`, `error`, `lambda_error`, `timeout`,
    /// `aborted`).
    pub failed: u32,
    /// Devices a job of it is in flight on (queued or running), in name order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_flight: Vec<String>,
}

/// A device group's devices, judged once for all its pools (each pool's entry lists only the
/// devices of its share).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceGroupPlan {
    /// The `device_groups` entry.
    pub group: String,
    /// The group's `allocation`.
    pub allocation: Strategy,
    /// Every planned pool sharing the group, in name order.
    pub pools: Vec<String>,
    /// What each device of the group is doing; a free one names the pool whose share it is.
    pub devices: Vec<DeviceDecision>,
}

/// A grouped pool's share of its group's free devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupShare {
    /// The `device_groups` entry.
    pub group: String,
    /// The group's `allocation`.
    pub allocation: Strategy,
    /// Every planned pool sharing the group, in name order.
    pub pools: Vec<String>,
    /// min(demand, max_starts_per_run): what this pool would start given enough devices.
    pub want: u32,
    /// What the allocation gave this pool of the group's free devices.
    pub share: u32,
    /// The group's devices holding a job of this pool (the pool's `numbers.in_flight` is
    /// the group's).
    #[serde(default)]
    pub in_flight: u32,
    /// How the share was reached, in one line.
    pub explanation: String,
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
    /// Active devices rested after repeated failed jobs of ours.
    #[serde(default)]
    pub cooling_down: u32,
    /// Devices claimed by more than one pool or group: used by none.
    #[serde(default)]
    pub contested: u32,
    /// Active devices whose Taskcluster worker has not been active since our last job there
    /// (`sources.taskcluster.worker_stale_after`).
    #[serde(default)]
    pub stale_workers: u32,
    /// Our jobs still `initiated` past `sources.lambdatest.stuck_after`: they hold no device
    /// and cover no pending task.
    #[serde(default)]
    pub stuck: u32,
    /// Devices a job may be started on.
    pub free: u32,
    /// Pending tasks in the task queue.
    pub pending: u64,
    /// Claimed tasks in the task queue.
    pub claimed: u64,
    /// When the queue's oldest pending task was inserted, when it was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub pending_since: Option<jiff::Timestamp>,
    /// Our jobs for this pool not yet running (they will claim pending tasks).
    pub waiting: u32,
    /// Our jobs for this pool `running`, and of those, created less than `launch_grace` ago.
    #[serde(default)]
    pub running: u32,
    #[serde(default)]
    pub young_running: u32,
    /// Our jobs expected to claim a pending task: the waiting ones, plus the running ones
    /// younger than `launch_grace` not matched by a claimed task:
    /// `waiting + min(young_running, running − claimed)`.
    #[serde(default)]
    pub covering: u32,
    /// Pending tasks not yet covered by a job of ours: pending − covering.
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
    /// The pool's share of its device group's free devices.
    GroupShare,
}

impl Bound {
    pub fn label(self) -> &'static str {
        match self {
            Self::Demand => "demand",
            Self::FreeDevices => "free devices",
            Self::MaxStartsPerRun => "max_starts_per_run",
            Self::MaxInitiated => "max_initiated",
            Self::MaxActionsPerRun => "max_actions_per_run",
            Self::GroupShare => "group share",
        }
    }
}

/// A HyperExecute job to start on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartJob {
    pub udid: String,
    /// `--labels` of the launch: `<program>,<pool>,<udid>,fleet:<fleet>[,mac:<hex>],spec:<digest>`
    /// (the spec label is added when the job file is rendered).
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
    /// The spec (digest) the newest job of ours on the device ran, or runs while in flight;
    /// absent when it has no job of ours or that job carries no spec label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<String>,
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
    /// Its last `failures_before_cooldown` jobs of ours failed, the latest less than
    /// `failure_cooldown` ago: it is rested before it is used again.
    CoolingDown,
    /// LambdaTest does not list it.
    Unknown,
    /// Listed or selected by more than one pool or group: used by none.
    Contested,
    /// Selected from LambdaTest's list, but its UDID cannot be a job label (a comma, a space
    /// or a control character): never used.
    Unusable,
    /// Its Taskcluster worker has not been active since our last job on it, created at least
    /// `worker_stale_after` ago.
    StaleWorker,
}
