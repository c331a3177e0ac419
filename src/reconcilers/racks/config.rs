//! A rack as the desired state writes it (`racks.<name>`): plain serde + schemars data with
//! defaults, part of `schemas/devicepool.schema.json`. No I/O, no validation logic.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::load::duration::{optional as optional_duration, required as friendly_duration};

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
