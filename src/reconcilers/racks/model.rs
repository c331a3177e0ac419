//! A rack's decision as plan data: each deploy to submit and why each machine is or is not
//! deployed, with our last deploy of it. Plain serialisable data.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::reconcilers::PoolStatus;

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
    /// The roll-out of a changed spec: what runs an outdated one and how many are replaced
    /// (absent when not planned).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<crate::reconcilers::rollout::RolloutPlan>,
}

/// A Testflinger deploy job to submit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Deploy {
    pub agent: String,
    /// The queue only this agent serves among those it polls (the first such in its own
    /// `queues` order): with an owned restricted queue, only those.
    pub queue: String,
    /// Tags of the job: `devicepool`, `rack:<rack>`, `agent:<agent>`, the fleet markers, and
    /// `spec:<digest>` with `spec-marked`.
    pub tags: Vec<String>,
    /// The rendered job (YAML), submitted as JSON.
    pub job_file: String,
    /// What must still hold when the job is submitted.
    pub preconditions: Vec<String>,
    /// Deploys of ours on this agent that can no longer start, cancelled before this one is
    /// submitted; this deploy is not submitted when a cancel fails.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cancel_first: Vec<StuckDeploy>,
}

/// A deploy job of ours, not ended, that no longer holds its machine: still `waiting` past
/// `stuck_after`, or on a queue the agent does not poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StuckDeploy {
    pub job_id: String,
    /// Why it cannot progress, e.g. `waiting since …, past stuck_after (1d)`.
    pub reason: String,
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
    /// For a due machine deployed before: when it fell due (that deploy plus `every`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub due_since: Option<jiff::Timestamp>,
}

/// Why a machine is or is not deployed in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum MachineState {
    /// A deploy job will be submitted.
    Deploy,
    /// Not due, but its last deploy ran an older spec than the rack renders now: a roll-out
    /// redeploy will be submitted (after the machines due, within `max_deploys_per_run`).
    Outdated,
    /// Due (or picked for a roll-out redeploy), but the rack's `max_deploys_per_run` or
    /// `settings.max_actions_per_run` is used up.
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
    /// The agent has not posted for longer than `agent_stale_after` (or never said when): it
    /// may be gone while its record still says `waiting`.
    Stale,
    /// Every queue the agent lists is served by another agent too (or it lists none): a job
    /// could run elsewhere or, on a queue nobody serves, wait forever.
    NoPrivateQueue,
    /// The agent polls only restricted queues, and none is one this rack may use: not listed
    /// in `restricted_queues`, or our client is not among its owners.
    RestrictedQueue,
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
