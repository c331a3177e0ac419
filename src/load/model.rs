//! The desired state: serde + schemars types, the single source of truth for
//! `schemas/devicepool.schema.json`. Plain data with defaults; no I/O, no validation logic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// Racks: MAAS machines redeployed through Testflinger on a cadence.
    #[serde(default)]
    pub racks: BTreeMap<String, Rack>,
    /// Runner pools: GitLab runners in containers, started for pending jobs and removed when
    /// idle, offline or orphaned.
    #[serde(default)]
    pub runner_pools: BTreeMap<String, RunnerPool>,
}

/// Run-wide settings.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// Directory for the run lock and private job directories, relative to this file.
    pub state_dir: PathBuf,
    /// Directory of job templates, relative to this file. Built-in templates are used for
    /// names not found there.
    pub templates_dir: PathBuf,
    /// How every API is called.
    pub http: HttpSettings,
    /// How planned launches are carried out.
    pub launch: LaunchSettings,
    /// Most actions (job starts plus deploys) in one run across all pools and racks; shared
    /// out round-robin. No global cap when absent.
    pub max_actions_per_run: Option<u32>,
    /// How long a saved plan (`plan --out`) may be applied after its snapshot: the maximum
    /// age of the data an apply acts on.
    #[serde(with = "friendly_duration")]
    #[schemars(with = "String")]
    pub plan_lifetime: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            state_dir: PathBuf::from("../.devicepool"),
            templates_dir: PathBuf::from("../templates"),
            http: HttpSettings::default(),
            launch: LaunchSettings::default(),
            max_actions_per_run: None,
            plan_lifetime: Duration::from_secs(15 * 60),
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
            stagger: Duration::from_millis(100),
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

/// A GitLab instance.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitlabSource {
    /// GitLab URL, e.g. `https://gitlab.example`.
    #[schemars(url)]
    pub url: String,
    /// Environment variable holding an admin token with the `create_runner` scope.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub token_env: String,
    /// Per-request timeout for this API, overriding `settings.http.timeout`.
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
}

/// A Docker Engine.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DockerSource {
    /// `unix:///var/run/docker.sock` or `tcp://host:2375`. Default: `DOCKER_HOST`, else the
    /// local socket.
    pub host: Option<String>,
    /// Per-request timeout for this API, overriding `settings.http.timeout`.
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
}

/// A pool of GitLab runners, one container each.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunnerPool {
    /// Tags of the runners; a pending job is served when all its tags are among these.
    #[schemars(length(min = 1))]
    pub tags: Vec<String>,
    /// Projects (numeric id or `group/project` path) whose pending jobs count as demand.
    #[schemars(length(min = 1))]
    pub projects: Vec<String>,
    /// Runner container image.
    #[serde(default = "default_runner_image")]
    pub image: String,
    /// CPUs per runner container.
    #[serde(default = "default_cpus")]
    pub cpus: f64,
    /// Memory per runner container, e.g. `6g`, `512m`.
    #[serde(default = "default_memory")]
    #[schemars(regex(pattern = r"^[0-9]+[kmgKMG]?$"))]
    pub memory: String,
    /// Docker network of the containers.
    #[serde(default = "default_network")]
    pub network: String,
    /// Idle runners kept ready.
    #[serde(default)]
    pub min_idle: u32,
    /// Most runners of this pool at once.
    #[serde(default = "default_max_runners")]
    pub max_runners: u32,
    /// Most runners started in one run.
    #[serde(default = "default_max_starts")]
    pub max_starts_per_run: u32,
    /// A runner idle this long may be removed.
    #[serde(default = "default_idle_cooldown", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub idle_cooldown: Duration,
    /// A runner offline, stale or without its container this long is removed.
    #[serde(default = "default_offline_grace", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub offline_grace: Duration,
    /// Most removals in one run.
    #[serde(default = "default_max_starts")]
    pub max_removals_per_run: u32,
    /// Largest fraction of the pool's runners removed in one run (0 to 1).
    #[serde(default = "default_remove_fraction")]
    #[schemars(range(min = 0.0, max = 1.0))]
    pub max_remove_fraction: f64,
    /// Container spec template.
    #[serde(default = "default_runner_template")]
    pub template: String,
    /// A disabled pool is reported but never changed.
    #[serde(default)]
    pub disabled: bool,
}

/// A MAAS region.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaasSource {
    /// MAAS URL, e.g. `https://maas.example/MAAS/`.
    #[schemars(url)]
    pub url: String,
    /// Environment variable holding the API key `consumer_key:token_key:token_secret`.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub api_key_env: String,
    /// Per-request timeout for this API, overriding `settings.http.timeout`.
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
}

/// A Testflinger server.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TestflingerSource {
    /// Server URL, e.g. `https://testflinger.canonical.com`.
    #[schemars(url)]
    pub url: String,
    /// Client id for `POST /v1/oauth2/token`; anonymous access when absent.
    pub client_id: Option<String>,
    /// Environment variable holding the client secret (needed with `client_id`).
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub client_secret_env: Option<String>,
    /// Per-request timeout for this API, overriding `settings.http.timeout`.
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
}

/// A rack: the MAAS machines carrying all `maas_tags`, each deployed through its Testflinger
/// agent (agent name = machine hostname) once per `every`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rack {
    /// MAAS tags a machine must all carry to belong to the rack.
    #[schemars(length(min = 1))]
    pub maas_tags: Vec<String>,
    /// Only agents whose `location` contains this text (e.g. `TOR3`).
    pub agent_location: Option<String>,
    /// Deploy cadence per agent, e.g. `6h`.
    #[serde(default = "default_every", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub every: Duration,
    /// Agents whose provisioning failed more than this many times in a row are skipped.
    #[serde(default = "default_fail_streak")]
    pub max_fail_streak: u64,
    /// Most deploys submitted for this rack in one run.
    #[serde(default = "default_max_deploys")]
    pub max_deploys_per_run: u32,
    /// Job template name.
    #[serde(default = "default_deploy_template")]
    pub template: String,
    /// `provision_data` of the job (MAAS provisioner: distro, kernel, user_data, ...).
    #[serde(default = "default_provision_data")]
    pub provision_data: serde_json::Map<String, serde_json::Value>,
    /// `reserve_data` of the job, when the machine should be reserved after deploying.
    pub reserve_data: Option<serde_json::Map<String, serde_json::Value>>,
    /// `test_data` of the job, when something should run after deploying.
    pub test_data: Option<serde_json::Map<String, serde_json::Value>>,
    /// Job `global_timeout`, e.g. `4h`.
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub global_timeout: Option<Duration>,
    /// Job `output_timeout`, e.g. `15m`.
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub output_timeout: Option<Duration>,
    /// A disabled rack is reported but never deployed.
    #[serde(default)]
    pub disabled: bool,
}

/// Taskcluster deployment.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskclusterSource {
    /// Root URL, e.g. `https://firefox-ci-tc.services.mozilla.com`.
    #[schemars(url)]
    pub root_url: String,
    /// Per-request timeout for this API, overriding `settings.http.timeout`.
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
}

/// LambdaTest HyperExecute account and behaviour.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LambdatestSource {
    /// Environment variable holding the LambdaTest username.
    #[serde(default = "default_username_env")]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub username_env: String,
    /// Environment variable holding the LambdaTest access key.
    #[serde(default = "default_access_key_env")]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub access_key_env: String,
    /// Base URL of the HyperExecute jobs API.
    #[serde(default = "default_api_url")]
    #[schemars(url)]
    pub api_url: String,
    /// Base URL of the real-device (private cloud) API.
    #[serde(default = "default_devices_url")]
    #[schemars(url)]
    pub devices_url: String,
    /// Path or name of the `hyperexecute` CLI used to start jobs.
    #[serde(default = "default_cli")]
    pub cli: PathBuf,
    /// First job label of every job devicepool starts (`<program>,<pool>,<udid>`).
    #[serde(default = "default_program_label")]
    #[schemars(regex(pattern = r"^[A-Za-z0-9_.-]+$"))]
    pub program_label: String,
    /// Org-wide ceiling of jobs in `initiated` state; no job is started above it.
    #[serde(default = "default_max_initiated")]
    pub max_initiated: u32,
    /// How far back the job history is read (in-flight jobs and device wear).
    #[serde(default = "default_job_window", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub job_window: Duration,
    /// A job of ours younger than this counts as in flight unless it already ended.
    #[serde(default = "default_launch_grace", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub launch_grace: Duration,
    /// Jobs requested per page.
    #[serde(default = "default_page_size")]
    #[schemars(range(min = 1, max = 100))]
    pub page_size: u32,
    /// Most pages read per run; more is an error, not a silent truncation.
    #[serde(default = "default_max_pages")]
    #[schemars(range(min = 1))]
    pub max_pages: u32,
    /// Per-request timeout for this API, overriding `settings.http.timeout`.
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
}

/// A pool of real devices serving one Taskcluster task queue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePool {
    /// Taskcluster task queue, `<provisionerId>/<workerType>`.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$"))]
    pub task_queue: String,
    /// Device UDIDs in this pool. A UDID may belong to one pool only.
    #[schemars(length(min = 1))]
    pub devices: Vec<String>,
    /// Taskcluster client id the job's generic-worker uses.
    pub client_id: String,
    /// Environment variable holding that client's access token.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub access_token_env: String,
    /// Job template name, looked up in `settings.templates_dir`, then among the built-ins.
    #[serde(default = "default_template")]
    pub template: String,
    /// Directory copied next to the job file as `user_script/`, relative to this file.
    pub payload_dir: Option<PathBuf>,
    /// Most jobs started for this pool in one run.
    #[serde(default = "default_max_starts")]
    pub max_starts_per_run: u32,
    /// A disabled pool is reported but never started.
    #[serde(default)]
    pub disabled: bool,
    /// Extra values handed to the template as `vars`.
    #[serde(default)]
    pub vars: BTreeMap<String, serde_json::Value>,
}

fn default_username_env() -> String {
    "LT_USERNAME".into()
}
fn default_access_key_env() -> String {
    "LT_ACCESS_KEY".into()
}
fn default_api_url() -> String {
    "https://api.hyperexecute.cloud".into()
}
fn default_devices_url() -> String {
    "https://mobile-api.lambdatest.com".into()
}
fn default_cli() -> PathBuf {
    PathBuf::from("hyperexecute")
}
fn default_program_label() -> String {
    "tcdp".into()
}
fn default_max_initiated() -> u32 {
    40
}
fn default_job_window() -> Duration {
    Duration::from_secs(3 * 3600)
}
fn default_launch_grace() -> Duration {
    Duration::from_secs(300)
}
fn default_page_size() -> u32 {
    100
}
fn default_max_pages() -> u32 {
    50
}
fn default_template() -> String {
    "hyperexecute.yaml.j2".into()
}
fn default_max_starts() -> u32 {
    10
}

fn default_runner_image() -> String {
    "gitlab/gitlab-runner:latest".into()
}
fn default_cpus() -> f64 {
    4.0
}
fn default_memory() -> String {
    "6g".into()
}
fn default_network() -> String {
    "bridge".into()
}
fn default_max_runners() -> u32 {
    10
}
fn default_idle_cooldown() -> Duration {
    Duration::from_secs(300)
}
fn default_offline_grace() -> Duration {
    Duration::from_secs(600)
}
fn default_remove_fraction() -> f64 {
    0.5
}
fn default_runner_template() -> String {
    "gitlab-runner.json.j2".into()
}
fn default_every() -> Duration {
    Duration::from_secs(6 * 3600)
}
fn default_fail_streak() -> u64 {
    20
}
fn default_max_deploys() -> u32 {
    10
}
fn default_deploy_template() -> String {
    "testflinger-deploy.yaml.j2".into()
}
fn default_provision_data() -> serde_json::Map<String, serde_json::Value> {
    let mut data = serde_json::Map::new();
    data.insert("distro".into(), "noble".into());
    data
}

/// Optional friendly durations.
mod optional_duration {
    pub(super) use jiff::fmt::serde::unsigned_duration::friendly::compact::optional::{
        deserialize, serialize,
    };
}

/// Durations written the friendly way: `30s`, `5m`, `1h 30m`, `250ms`.
mod friendly_duration {
    pub(super) use jiff::fmt::serde::unsigned_duration::friendly::compact::required::{
        deserialize, serialize,
    };
}
