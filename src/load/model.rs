//! The desired state's top level and run-wide settings. With each kind's `config.rs` and
//! `source_model.rs` it is the single source of truth for `schemas/devicepool.schema.json`.
//! Plain data with defaults; no I/O, no validation logic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::lock_model::LockSettings;
use super::source_model::{
    DockerSource, GitlabSource, LambdatestSource, MaasSource, TaskclusterSource, TestflingerSource,
};
use crate::reconcilers::PerKind;
use crate::reconcilers::device_pools::config::DevicePool;
use crate::reconcilers::device_pools::group::DeviceGroup;
use crate::reconcilers::racks::config::Rack;
use crate::reconcilers::runner_pools::config::RunnerPool;

/// A devicepool desired-state file (`plans/*.yaml`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "devicepool desired state")]
pub struct Desired {
    /// Format version of this file. Only `1` exists.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Run-wide settings: HTTP behaviour, launch parallelism, where state and templates live.
    #[serde(default)]
    pub settings: Settings,
    /// The APIs devicepool reads and drives. Every base URL is configurable.
    pub sources: Sources,
    /// Device pools: one per Taskcluster task queue; a HyperExecute job is started per free
    /// device while tasks are pending.
    #[serde(default)]
    pub device_pools: BTreeMap<String, DevicePool>,
    /// Devices several device pools share, and how they are shared out when scarce.
    #[serde(default)]
    pub device_groups: BTreeMap<String, DeviceGroup>,
    /// Racks: MAAS machines redeployed through Testflinger on a cadence.
    #[serde(default)]
    pub racks: BTreeMap<String, Rack>,
    /// Runner pools: GitLab runners in containers, started for pending jobs and removed when
    /// idle, offline or orphaned.
    #[serde(default)]
    pub runner_pools: BTreeMap<String, RunnerPool>,
    /// Device pools a `--pool` / `--exclude-pool` partition left out of this run (never read
    /// from the file): not planned, but their device claims still count, so a device another
    /// partition may use is contested here too.
    #[serde(skip)]
    #[schemars(skip)]
    pub left_out_pools: BTreeMap<String, DevicePool>,
    /// The ownership key (`settings.ownership_key_*`), read at the edge; never from the file
    /// and never written out.
    #[serde(skip)]
    #[schemars(skip)]
    pub ownership_key: Option<crate::secret::Secret>,
}

/// The desired state's entries of each kind.
pub type DesiredKinds<'a> = PerKind<
    &'a BTreeMap<String, DevicePool>,
    &'a BTreeMap<String, Rack>,
    &'a BTreeMap<String, RunnerPool>,
>;

/// The desired state's entries of each kind, to cut or settle.
pub type DesiredKindsMut<'a> = PerKind<
    &'a mut BTreeMap<String, DevicePool>,
    &'a mut BTreeMap<String, Rack>,
    &'a mut BTreeMap<String, RunnerPool>,
>;

impl Desired {
    /// The entries of each kind. It names every field of `Desired`, so a kind added to the
    /// file does not build until [`PerKind`] has it too, and then neither does any list of
    /// the kinds that leaves it out.
    pub fn kinds(&self) -> DesiredKinds<'_> {
        let Desired {
            version: _,
            settings: _,
            sources: _,
            device_pools,
            device_groups: _,
            racks,
            runner_pools,
            left_out_pools: _,
            ownership_key: _,
        } = self;
        PerKind {
            device_pools,
            racks,
            runner_pools,
        }
    }

    /// The entries of each kind, mutable.
    pub fn kinds_mut(&mut self) -> DesiredKindsMut<'_> {
        PerKind {
            device_pools: &mut self.device_pools,
            racks: &mut self.racks,
            runner_pools: &mut self.runner_pools,
        }
    }
}

/// Run-wide settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Directory for the run lock and private job directories, relative to this file. When
    /// absent: `$STATE_DIRECTORY` if set (systemd's `StateDirectory=`), else `../.devicepool`.
    pub state_dir: Option<PathBuf>,
    /// Directory of job templates, relative to this file; it must exist. Names not found
    /// there are looked up among the built-ins. When absent, only the built-ins are used.
    pub templates_dir: Option<PathBuf>,
    /// How every API is called.
    pub http: HttpSettings,
    /// How planned launches are carried out.
    pub launch: LaunchSettings,
    /// Most actions (job starts, deploys, runner starts and removals) in one run across all
    /// pools, racks and runner pools; shared out round-robin. No global cap when absent.
    pub max_actions_per_run: Option<u32>,
    /// How long a saved plan (`plan --out`) may be applied after its snapshot: the maximum
    /// age of the data an apply acts on.
    #[serde(with = "friendly_duration")]
    #[schemars(with = "String")]
    pub plan_lifetime: Duration,
    /// The name of this desired state's fleet. Every object devicepool creates carries it
    /// (job labels, Testflinger tags, runner descriptions, container labels) and only objects
    /// of this fleet are counted or touched, so two fleets sharing an API and pool names leave
    /// each other alone. Objects made before fleets existed carry no fleet name: they are
    /// taken as `default`'s while no ownership key is set.
    #[schemars(length(min = 1, max = 63))]
    pub fleet: String,
    /// Environment variable holding the ownership key: every object created also carries a
    /// keyed MAC, and an object without a valid one is a look-alike (never counted, touched
    /// or removed; listed in the plan). Give this or `ownership_key_file`, or neither.
    pub ownership_key_env: Option<String>,
    /// File holding the ownership key (relative paths under `$CREDENTIALS_DIRECTORY` when
    /// set, else this file's directory).
    pub ownership_key_file: Option<PathBuf>,
    /// Where the run lock lives when several hosts (or a CronJob and a manual run) may
    /// apply: an etcd lease or a Kubernetes Lease, taken besides the state directory's file
    /// lock. Absent: only the file lock in `state_dir`.
    pub lock: Option<LockSettings>,
}

/// `settings.state_dir` when neither the file nor `$STATE_DIRECTORY` names one, relative to
/// the desired-state file.
pub const DEFAULT_STATE_DIR: &str = "../.devicepool";

impl Default for Settings {
    fn default() -> Self {
        Self {
            state_dir: None,
            templates_dir: None,
            http: HttpSettings::default(),
            launch: LaunchSettings::default(),
            max_actions_per_run: None,
            plan_lifetime: Duration::from_secs(15 * 60),
            fleet: crate::reconcilers::ownership::DEFAULT_FLEET.to_string(),
            ownership_key_env: None,
            ownership_key_file: None,
            lock: None,
        }
    }
}

/// HTTP behaviour shared by every API client.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct HttpSettings {
    /// End-to-end timeout of one request, e.g. `30s`.
    #[serde(with = "friendly_duration")]
    #[schemars(with = "String")]
    pub timeout: Duration,
    /// How many times a failed GET is retried (connect errors, 429, 502, 503, 504).
    #[schemars(range(max = 10))]
    pub retries: u32,
    /// First retry delay; doubled on each retry. A `Retry-After` header overrides it.
    #[serde(with = "friendly_duration")]
    #[schemars(with = "String")]
    pub backoff: Duration,
    /// Largest response body accepted, in bytes.
    #[schemars(range(min = 1024))]
    pub max_body_bytes: u64,
    /// How many requests may be in flight at once across all sources.
    #[schemars(range(min = 1, max = 256))]
    pub parallel_requests: usize,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(250),
            max_body_bytes: 8 * 1024 * 1024,
            parallel_requests: 16,
        }
    }
}

/// How planned launches are carried out.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LaunchSettings {
    /// How many launches run at once.
    #[schemars(range(min = 1, max = 128))]
    pub parallel: usize,
    /// Smallest gap between the starts of two launches, e.g. `100ms`.
    #[serde(with = "friendly_duration")]
    #[schemars(with = "String")]
    pub stagger: Duration,
    /// A launch still running after this long is killed and counted as failed.
    #[serde(with = "friendly_duration")]
    #[schemars(with = "String")]
    pub timeout: Duration,
}

impl Default for LaunchSettings {
    fn default() -> Self {
        Self {
            parallel: 10,
            stagger: Duration::from_secs(1),
            timeout: Duration::from_secs(120),
        }
    }
}

/// The APIs devicepool reads and drives.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    /// Taskcluster: pending counts and quarantined workers (read anonymously).
    pub taskcluster: Option<TaskclusterSource>,
    /// LambdaTest HyperExecute: devices, jobs, and the `hyperexecute` CLI that starts jobs.
    pub lambdatest: Option<LambdatestSource>,
    /// MAAS: the machines of each rack, by tag.
    pub maas: Option<MaasSource>,
    /// Testflinger: agents, our deploy jobs, and where deploys are submitted.
    pub testflinger: Option<TestflingerSource>,
    /// GitLab: runners and pending jobs.
    pub gitlab: Option<GitlabSource>,
    /// Docker Engine: the runner containers.
    pub docker: Option<DockerSource>,
}

impl Sources {
    /// Each API's own request timeout, by its key under `sources` (`None`: not configured,
    /// or `settings.http.timeout` applies).
    pub fn timeouts(&self) -> [(&'static str, Option<Duration>); 6] {
        [
            (
                "taskcluster",
                self.taskcluster.as_ref().and_then(|s| s.timeout),
            ),
            (
                "lambdatest",
                self.lambdatest.as_ref().and_then(|s| s.timeout),
            ),
            ("maas", self.maas.as_ref().and_then(|s| s.timeout)),
            (
                "testflinger",
                self.testflinger.as_ref().and_then(|s| s.timeout),
            ),
            ("gitlab", self.gitlab.as_ref().and_then(|s| s.timeout)),
            ("docker", self.docker.as_ref().and_then(|s| s.timeout)),
        ]
    }
}

/// Friendly durations (`30s`, `5m`, `1h 30m`, `250ms`, `7d`), required and optional.
pub(super) use super::duration::{optional as optional_duration, required as friendly_duration};
