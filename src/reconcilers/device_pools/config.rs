//! A device pool as the desired state writes it (`device_pools.<name>`): plain serde +
//! schemars data with defaults, part of `schemas/devicepool.schema.json`. No I/O, no
//! validation logic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// Environment variable holding that client's access token. This or `access_token_file`
    /// is required.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub access_token_env: Option<String>,
    /// File holding that token, instead of `access_token_env`. A relative path is resolved
    /// against `$CREDENTIALS_DIRECTORY` when set, else against this file.
    pub access_token_file: Option<PathBuf>,
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

fn default_template() -> String {
    "hyperexecute.yaml.j2".into()
}

fn default_max_starts() -> u32 {
    10
}
