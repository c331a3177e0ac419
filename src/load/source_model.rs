//! The `sources` section of the desired state: where each API lives and how it is called.
//! Plain serde + schemars types with defaults; no I/O, no validation logic.

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::{friendly_duration, optional_duration};

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
    /// A device whose worker has not been active since our last job on it was created, this
    /// long ago, is not used (`stale_worker`): its generic-worker is not claiming. Not set:
    /// not checked (and only quarantined workers are listed).
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub worker_stale_after: Option<Duration>,
}

/// LambdaTest HyperExecute account and behaviour.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LambdatestSource {
    /// Environment variable holding the LambdaTest username.
    #[serde(default = "default_username_env")]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub username_env: String,
    /// File holding the LambdaTest username, instead of `username_env`. A relative path is
    /// resolved against `$CREDENTIALS_DIRECTORY` when set, else against this file.
    pub username_file: Option<PathBuf>,
    /// Environment variable holding the LambdaTest access key.
    #[serde(default = "default_access_key_env")]
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub access_key_env: String,
    /// File holding the LambdaTest access key, instead of `access_key_env`. A relative path
    /// is resolved against `$CREDENTIALS_DIRECTORY` when set, else against this file.
    pub access_key_file: Option<PathBuf>,
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
    /// A job of ours still `initiated` (waiting for its device) this long after it was
    /// created is stuck: it no longer holds its device or covers a pending task, and the plan
    /// reports it. Jobs older than `job_window` are not read at all.
    #[serde(default = "default_stuck_after", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub stuck_after: Duration,
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

/// A MAAS region.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MaasSource {
    /// MAAS URL, e.g. `https://maas.example/MAAS/`.
    #[schemars(url)]
    pub url: String,
    /// Environment variable holding the API key `consumer_key:token_key:token_secret`.
    /// This or `api_key_file` is required.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub api_key_env: Option<String>,
    /// File holding the API key, instead of `api_key_env`. A relative path is resolved
    /// against `$CREDENTIALS_DIRECTORY` when set, else against this file.
    pub api_key_file: Option<PathBuf>,
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
    /// Environment variable holding the client secret (this or `client_secret_file` is
    /// needed with `client_id`).
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub client_secret_env: Option<String>,
    /// File holding the client secret, instead of `client_secret_env`. A relative path is
    /// resolved against `$CREDENTIALS_DIRECTORY` when set, else against this file.
    pub client_secret_file: Option<PathBuf>,
    /// Per-request timeout for this API, overriding `settings.http.timeout`.
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Duration>,
}

/// A GitLab instance.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GitlabSource {
    /// GitLab URL, e.g. `https://gitlab.example`.
    #[schemars(url)]
    pub url: String,
    /// Environment variable holding an admin token with the `create_runner` scope. This or
    /// `token_file` is required.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub token_env: Option<String>,
    /// File holding that token, instead of `token_env`. A relative path is resolved against
    /// `$CREDENTIALS_DIRECTORY` when set, else against this file.
    pub token_file: Option<PathBuf>,
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
fn default_stuck_after() -> Duration {
    Duration::from_secs(3600)
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
