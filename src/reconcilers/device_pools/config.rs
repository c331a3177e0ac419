//! A device pool as the desired state writes it (`device_pools.<name>`): plain serde +
//! schemars data with defaults, part of `schemas/devicepool.schema.json`. No I/O, no
//! validation logic.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::group::{
    Selector, check_groups, default_failure_cooldown, default_failures_before_cooldown,
};
use crate::load::Desired;
use crate::load::duration::required as friendly_duration;
use crate::load::section::{
    KeyAt, Problem, check_durations, check_identifier, check_identifier_list, check_name,
    entry_keys, pointer, require_sources,
};
use crate::reconcilers::schedule::{InEffect, Period, Scheduled, check_schedule};

/// A pool of real devices serving one Taskcluster task queue.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePool {
    /// Taskcluster task queue, `<provisionerId>/<workerType>`.
    #[schemars(regex(pattern = r"^[a-zA-Z0-9_-]{1,38}/[a-z]([-a-z0-9]{0,36}[a-z0-9])?$"))]
    pub task_queue: String,
    /// Device UDIDs in this pool. A UDID belongs to one pool or group only. One of
    /// `devices`, `select` or `group` is required.
    #[serde(default)]
    pub devices: Vec<String>,
    /// The devices LambdaTest lists that match, instead of `devices`.
    pub select: Option<Selector>,
    /// A `device_groups` entry whose devices this pool shares with the group's other pools.
    pub group: Option<String>,
    /// In a group with `allocation: priority`: higher is served first.
    #[serde(default)]
    pub priority: i32,
    /// In a group with `allocation: weighted`: this pool's share of what is left once every
    /// pool has its `min_devices`.
    #[serde(default = "default_weight")]
    #[schemars(range(min = 1))]
    pub weight: u32,
    /// In a group with `allocation: weighted`: devices guaranteed to this pool while it has
    /// that much demand.
    #[serde(default)]
    pub min_devices: u32,
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
    /// Periods that change some settings by time of day; the first in effect wins. It may set: `max_starts_per_run`, `disabled`,
    /// `priority`, `weight`, `min_devices`.
    #[serde(default)]
    pub schedule: Vec<Period>,
    /// The period in effect for this run (set when settled; never read from the file).
    #[serde(skip)]
    #[schemars(skip)]
    pub in_effect: Option<InEffect>,
}

impl Scheduled for DevicePool {
    const SCHEDULABLE: &'static [&'static str] = &[
        "max_starts_per_run",
        "disabled",
        "priority",
        "weight",
        "min_devices",
    ];

    fn periods(&self) -> &[Period] {
        &self.schedule
    }

    fn note_in_effect(&mut self, in_effect: Option<InEffect>) {
        self.in_effect = in_effect;
    }

    fn check_values(&self, problems: &mut Vec<Problem>, at: KeyAt<'_>) {
        check_durations(
            problems,
            at,
            &[("failure_cooldown", Some(self.failure_cooldown))],
        );
        if self.weight == 0
            && let Some(pointer) = at("weight")
        {
            problems.push(Problem::at(pointer, "weight must be at least 1"));
        }
    }
}

fn default_weight() -> u32 {
    1
}

fn default_template() -> String {
    "hyperexecute.yaml.j2".into()
}

fn default_max_starts() -> u32 {
    10
}

/// The rules the schema cannot say for `device_pools` and `device_groups`: plain pool names,
/// the sources they need, UDIDs usable as labels, and each task queue in one pool and each
/// listed device in one pool or group only.
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
    let mut owner_of_udid: BTreeMap<&str, String> = BTreeMap::new();
    let mut owner_of_queue: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, pool) in &desired.device_pools {
        let why = "it becomes a job label";
        check_name(problems, SECTION, name, "a pool name", why);
        let devices = pointer(SECTION, name, "devices");
        let why = "a UDID becomes a job label (labels are comma-separated) and a worker id";
        check_identifier_list(problems, &devices, &pool.devices, why);
        pool.check_values(problems, &entry_keys(SECTION, name));
        check_schedule(problems, SECTION, name, pool);
        let why = "the job's worker signs in to Taskcluster with it";
        check_identifier(
            problems,
            pointer(SECTION, name, "client_id"),
            &pool.client_id,
            why,
        );
        if let Some(other) = owner_of_queue.insert(&pool.task_queue, name) {
            problems.push(Problem::at(
                pointer(SECTION, name, "task_queue"),
                format!(
                    "task queue {} is already served by pool {other}",
                    pool.task_queue
                ),
            ));
        }
        claim_listed(
            problems,
            &mut owner_of_udid,
            format!("pool {name}"),
            &devices,
            &pool.devices,
        );
    }
    for (name, group) in &desired.device_groups {
        let devices = pointer("device_groups", name, "devices");
        claim_listed(
            problems,
            &mut owner_of_udid,
            format!("group {name}"),
            &devices,
            &group.devices,
        );
    }
    check_groups(desired, problems);
}

/// Records `owner` as the owner of each listed UDID; one already owned is a problem.
fn claim_listed<'a>(
    problems: &mut Vec<Problem>,
    owner_of_udid: &mut BTreeMap<&'a str, String>,
    owner: String,
    at: &str,
    udids: &'a [String],
) {
    for (i, udid) in udids.iter().enumerate() {
        if let Some(other) = owner_of_udid.insert(udid, owner.clone()) {
            let message = if other == owner {
                format!(
                    "device {udid} is listed twice in this {}",
                    if owner.starts_with("pool") {
                        "pool"
                    } else {
                        "group"
                    }
                )
            } else {
                format!(
                    "device {udid} is already in {other}; a device belongs to one pool or group"
                )
            };
            problems.push(Problem::at(format!("{at}/{i}"), message));
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
