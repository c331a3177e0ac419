//! The pools of the desired state: device pools, racks and runner pools. Plain serde +
//! schemars types with defaults; no I/O, no validation logic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::{friendly_duration, optional_duration};

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
    /// Deploy cadence per agent, e.g. `6h`; at most `7d` (Testflinger keeps jobs 7 days).
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
    /// Host Docker socket the default template bind-mounts at `/var/run/docker.sock` in each
    /// runner container, so its docker executor can start job containers (the runner then
    /// controls the host's Docker: root-equivalent on the host). Empty: no socket.
    #[serde(default = "default_docker_socket")]
    #[schemars(regex(pattern = r"^(/.*)?$"))]
    pub docker_socket: String,
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
fn default_docker_socket() -> String {
    "/var/run/docker.sock".into()
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
