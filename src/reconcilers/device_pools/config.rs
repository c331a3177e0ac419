//! A device pool as the desired state writes it (`device_pools.<name>`): plain serde +
//! schemars data with defaults, part of `schemas/devicepool.schema.json`. No I/O, no
//! validation logic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::load::Desired;
use crate::load::duration::required as friendly_duration;
use crate::load::section::{
    Problem, check_durations, check_identifier_list, check_name, pointer, require_sources,
};

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
    /// A device whose last this-many jobs of ours all failed is rested (0: never).
    #[serde(default = "default_failures_before_cooldown")]
    pub failures_before_cooldown: u32,
    /// How long such a device is rested, from its latest failed job.
    #[serde(default = "default_failure_cooldown", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub failure_cooldown: Duration,
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

fn default_failures_before_cooldown() -> u32 {
    3
}

fn default_failure_cooldown() -> Duration {
    Duration::from_secs(3600)
}

/// The rules the schema cannot say for `device_pools`: plain pool names, the sources they
/// need, UDIDs usable as labels, and each task queue and device in one pool only.
pub(crate) fn check_section(desired: &Desired, problems: &mut Vec<Problem>) {
    const SECTION: &str = "device_pools";
    if !desired.device_pools.is_empty() {
        let sources = &desired.sources;
        let present = [
            ("taskcluster", sources.taskcluster.is_some()),
            ("lambdatest", sources.lambdatest.is_some()),
        ];
        require_sources(problems, SECTION, &present);
    }
    let mut owner_of_udid: BTreeMap<&str, &str> = BTreeMap::new();
    let mut owner_of_queue: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, pool) in &desired.device_pools {
        let why = "it becomes a job label";
        check_name(problems, SECTION, name, "a pool name", why);
        let devices = pointer(SECTION, name, "devices");
        let why = "a UDID becomes a job label (labels are comma-separated) and a worker id";
        check_identifier_list(problems, &devices, &pool.devices, why);
        let durations = [("failure_cooldown", Some(pool.failure_cooldown))];
        check_durations(problems, SECTION, name, &durations);
        if let Some(other) = owner_of_queue.insert(&pool.task_queue, name) {
            problems.push(Problem::at(
                pointer(SECTION, name, "task_queue"),
                format!(
                    "task queue {} is already served by pool {other}",
                    pool.task_queue
                ),
            ));
        }
        for (i, udid) in pool.devices.iter().enumerate() {
            if let Some(other) = owner_of_udid.insert(udid, name) {
                let message = if other == name {
                    format!("device {udid} is listed twice in this pool")
                } else {
                    format!(
                        "device {udid} is already in pool {other}; a device belongs to one pool"
                    )
                };
                problems.push(Problem::at(format!("{devices}/{i}"), message));
            }
        }
    }
}

/// Where each device pool names its template: (JSON pointer, name).
pub(crate) fn template_keys(desired: &Desired) -> Vec<(String, &str)> {
    let pools = desired.device_pools.iter();
    pools
        .map(|(name, p)| {
            (
                pointer("device_pools", name, "template"),
                p.template.as_str(),
            )
        })
        .collect()
}
