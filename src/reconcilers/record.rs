//! The one record shape `apply` reports for every action of every kind: what was acted on,
//! how it ended, and, when it did not happen, a typed error class beside the message. Plain
//! data; the apply report (`apply::ApplyReport`) is a list of these.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clients::http::{ApiError, Failure};

/// Which reconciler an action or a held entry belongs to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    DevicePool,
    Rack,
    RunnerPool,
}

impl Kind {
    /// The heading of this kind's entries: `Device pools`, `Racks`, `Runner pools`.
    pub fn title(self) -> &'static str {
        match self {
            Kind::DevicePool => "Device pools",
            Kind::Rack => "Racks",
            Kind::RunnerPool => "Runner pools",
        }
    }

    /// What an entry of this kind is called in a sentence: `pool`, `rack`, `runner pool`.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::DevicePool => "pool",
            Kind::Rack => "rack",
            Kind::RunnerPool => "runner pool",
        }
    }
}

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Start a HyperExecute job on a device.
    StartJob,
    /// Submit a Testflinger deploy job for an agent.
    Deploy,
    /// Cancel a Testflinger deploy job of ours that can no longer start, before deploying its
    /// agent again.
    CancelDeploy,
    /// Pause, re-check and delete a GitLab runner, then remove its container. Removals come
    /// before starts, the order apply runs them in.
    RemoveRunner,
    /// Remove a container whose runner GitLab no longer knows.
    RemoveContainer,
    /// Register a GitLab runner and start its container.
    StartRunner,
    /// Pause an outdated busy GitLab runner for a roll-out (`idle_only: false`), its
    /// maintenance note saying so; it is replaced once idle.
    PauseRunner,
}

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Carried out.
    Done,
    /// Tried and failed; `error` says how.
    Failed,
    /// Not tried: the fresh facts no longer call for it as planned.
    Skipped,
    /// A removal stopped on purpose: a job landed on the runner after the plan was made.
    Kept,
}

/// Why an action did not happen, in a word a script can branch on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// The API answered with a 4xx: it will refuse again until something changes.
    Refused,
    /// No answer, a timeout or a 5xx: the next run may succeed.
    Unavailable,
    /// An answer that breaks the API's contract.
    Unexpected,
    /// The `hyperexecute` CLI failed, timed out or could not be run.
    Cli,
    /// The job file or container spec could not be rendered with the real values, or what
    /// it rendered is not usable.
    Render,
    /// A prerequisite failed first (no token, Docker not reachable, the run's lease on the
    /// lock lost): nothing was sent, and the action counts as failed.
    NotTried,
    /// The saved plan selected it, but the fresh plan does not take it as saved.
    Drifted,
}

impl ErrorClass {
    /// The class of a failed API call.
    pub fn of(error: &ApiError) -> ErrorClass {
        match &error.failure {
            Failure::Status { status, .. } if (400..500).contains(status) && *status != 429 => {
                ErrorClass::Refused
            }
            Failure::Status { .. } | Failure::Transport(_) => ErrorClass::Unavailable,
            Failure::Decode(_)
            | Failure::TooLarge(_)
            | Failure::Protocol(_)
            | Failure::Recorded(_) => ErrorClass::Unexpected,
            Failure::NotSent(_) => ErrorClass::NotTried,
        }
    }
}

/// An action that did not happen: its class and the (redacted) message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ActionError {
    pub class: ErrorClass,
    pub message: String,
}

impl ActionError {
    pub fn new(class: ErrorClass, message: impl Into<String>) -> ActionError {
        ActionError {
            class,
            message: message.into(),
        }
    }

    /// A failed API call, classed by its failure.
    pub fn api(error: &ApiError) -> ActionError {
        ActionError::new(ErrorClass::of(error), error.to_string())
    }
}

/// Something the fleet read back after an apply shows that breaks no promise of this run, but
/// that `apply --verify` says (a runner pool draining above a lowered `max_runners`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct VerifyNote {
    pub kind: Kind,
    pub pool: String,
    pub note: String,
}

/// A promise the fleet read back after an apply breaks (`apply --verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Broken {
    pub kind: Kind,
    pub pool: String,
    /// What is wrong, with the ids that show it.
    pub problem: String,
}

/// One action of an apply and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ActionRecord {
    pub kind: Kind,
    /// The device pool, rack or runner pool.
    pub pool: String,
    pub action: Action,
    /// What it acts on: the device's UDID, the agent's name, the new runner's name, or for a
    /// removal `runner <id>` (or the orphan container's id).
    pub target: String,
    pub outcome: Outcome,
    /// What the API made: the HyperExecute or Testflinger job id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_id: Option<String>,
    /// The GitLab runner acted on or registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runner_id: Option<u64>,
    /// The Docker container acted on or created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container_id: Option<String>,
    /// Set exactly when the outcome is `failed` or `skipped`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ActionError>,
    /// Something noticed on the way that is not a failure ("runner already gone", why a
    /// removal was kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The `hyperexecute` CLI's exit status (launches only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The CLI's output, secrets redacted (launches only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    pub duration_ms: u64,
}

impl ActionRecord {
    /// A record of `action` on `target`, not yet carried out: outcome `failed` until the
    /// caller says otherwise, so a forgotten outcome shows as a failure, never as a success.
    pub fn new(kind: Kind, pool: &str, action: Action, target: &str) -> ActionRecord {
        ActionRecord {
            kind,
            pool: pool.to_string(),
            action,
            target: target.to_string(),
            outcome: Outcome::Failed,
            job_id: None,
            runner_id: None,
            container_id: None,
            error: None,
            note: None,
            exit_code: None,
            output: None,
            duration_ms: 0,
        }
    }

    /// Marks the record failed: it should have happened and did not (the run exits 3).
    pub fn fail(mut self, error: ActionError) -> ActionRecord {
        self.outcome = Outcome::Failed;
        self.error = Some(error);
        self
    }

    /// Marks the record skipped: the fresh facts no longer call for it as planned.
    pub fn skip(mut self, error: ActionError) -> ActionRecord {
        self.outcome = Outcome::Skipped;
        self.error = Some(error);
        self
    }
}
