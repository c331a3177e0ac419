//! A runner pool's decision as plan data: the numbers, each runner to start or remove and
//! what the planner makes of each runner of ours. Plain serialisable data.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::reconcilers::PoolStatus;

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
    /// Outdated busy runners to pause for the roll-out (`idle_only: false`): they take no
    /// new job and are replaced once idle.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pauses: Vec<RunnerPause>,
    /// Every runner of ours and what happens to it.
    pub runners: Vec<RunnerDecision>,
    /// The schedule period in effect when this was planned, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Which period that is (number, cron, zone), for the metrics' `period` label; absent
    /// when none is in effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_period: Option<crate::reconcilers::schedule::PeriodInEffect>,
    /// The limits each runner was compared against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<RunnerThresholds>,
    /// Containers of ours with no runner record (`name (state)`), removed or not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orphans: Vec<String>,
    /// The Docker Engine API version the daemon was spoken to in when this was planned: the
    /// container specs use no key newer than it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docker_api: Option<String>,
    /// With `docker_hosts`: each host, its runners and where the starts go.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<HostPlacement>,
    /// The roll-out of a changed spec: what runs an outdated one and how many are replaced
    /// (absent when not planned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<crate::reconcilers::rollout::RolloutPlan>,
}

/// The pool's limits as the planner compared them, durations written as in the desired state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerThresholds {
    pub idle_cooldown: String,
    pub offline_grace: String,
    pub max_job_duration: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_jobs_per_runner: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_runner_age: Option<String>,
}

/// One Docker host of a pool in a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HostPlacement {
    pub host: String,
    pub max_runners: u32,
    /// Containers of ours on it now; none known when it did not answer.
    pub containers: u32,
    /// Whether it answered; one that did not holds only its share of the pool.
    pub answered: bool,
    /// Names of the runners started on it.
    pub starts: Vec<String>,
    /// Ids of the containers removed from it.
    pub removals: Vec<String>,
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
    /// When the oldest of them was created, when GitLab said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub pending_since: Option<jiff::Timestamp>,
    pub min_idle: u32,
    pub max_runners: u32,
    pub starts: u32,
    pub removals: u32,
    /// Paused by someone else or served by no container of ours: counted towards
    /// `max_runners`, never removed.
    #[serde(default)]
    pub left_alone: u32,
    /// Of the busy runners, those whose job has run past `max_job_duration`.
    #[serde(default)]
    pub busy_too_long: u32,
    /// Runners of ours above `max_runners` (a lowered maximum): drained as they turn idle.
    #[serde(default)]
    pub above_max: u32,
    /// Runners on the current spec that failed while a roll-out lasts (`pause_on_failures`):
    /// kept as its evidence, neither removed nor idle capacity; counted towards `max_runners`.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
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
    /// A roll-out's replacement: the id of the outdated runner removed once this start
    /// succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<u64>,
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

/// An outdated busy runner of ours to pause for a roll-out: `PUT /runners/:id` with
/// `paused: true` and the roll-out's maintenance note. Its running job finishes; it is never
/// removed while busy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerPause {
    pub runner_id: u64,
    pub detail: String,
    /// What must still hold when it is paused.
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
    /// Idle after `max_jobs_per_runner` jobs or past `max_runner_age`.
    Recycle,
    /// Idle past `idle_cooldown` while the pool is above `max_runners`.
    Drain,
    /// Idle and running an outdated spec: replaced by a start of the current one (removed
    /// only once that start succeeded).
    Outdated,
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
    /// Running a job longer than `max_job_duration`: flagged, never removed.
    BusyTooLong,
    /// Idle and kept.
    Idle,
    /// Removed in this run.
    Remove,
    /// Would be removed, but a budget kept it.
    Kept,
    /// Paused by someone other than devicepool, or (with an ownership key) served by no
    /// container of ours on this host: neither removed nor counted as capacity.
    LeftAlone,
    /// On the current spec and failed (its container exited or died, or GitLab sees it
    /// offline, stale or never contacted past `offline_grace`) while the pool still has
    /// outdated runners and `pause_on_failures` holds: kept as the roll-out's evidence,
    /// neither removed nor counted as capacity, so the failure keeps the roll-out paused.
    Failed,
}
