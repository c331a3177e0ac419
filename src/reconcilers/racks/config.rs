//! A rack as the desired state writes it (`racks.<name>`): plain serde + schemars data with
//! defaults, part of `schemas/devicepool.schema.json`. No I/O, no validation logic.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::load::duration::{optional as optional_duration, required as friendly_duration};

use crate::load::Desired;
use crate::load::section::{
    Problem, check_durations, check_identifier_list, check_name, check_text, entry_keys, pointer,
    require_sources,
};
use crate::reconcilers::rollout::check_rollout;

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
    /// How machines whose last deploy ran an outdated spec (`provision_data`, the job
    /// template) are redeployed before `every` comes round: see docs/configuration.md.
    #[serde(default)]
    pub rollout: crate::reconcilers::rollout::Rollout,
    /// An agent whose record (`updated_at`, set on every post the agent makes) is older than
    /// this is not deployed: it may be dead while its record still says `waiting`. Unset: not
    /// checked (an idle agent may post rarely; set it above the agents' own posting interval).
    #[serde(default, with = "optional_duration")]
    #[schemars(with = "Option<String>")]
    pub agent_stale_after: Option<Duration>,
    /// A deploy of ours still `waiting` (not taken by the agent) this long is stuck: it no
    /// longer holds the machine and is cancelled before the machine is deployed again. At
    /// most `7d` (the server deletes jobs after 7 days).
    #[serde(default = "default_stuck_after", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub stuck_after: Duration,
    /// Restricted queues (Testflinger admins give them owners) a deploy may go to. An agent
    /// with an owned restricted queue polls only those, so it is deployed only through one
    /// listed here whose owners include `sources.testflinger.client_id`; else it is skipped.
    #[serde(default)]
    pub restricted_queues: Vec<String>,
    /// The digest of the deploy job this rack renders now (`spec.rs`), stamped once the
    /// templates are loaded; never read from the file. `None`: not stamped (no roll-out).
    #[serde(skip)]
    #[schemars(skip)]
    pub spec: Option<String>,
}

fn default_every() -> Duration {
    Duration::from_secs(6 * 3600)
}

/// A day: an agent that is `waiting` takes a job within its polling interval (10 s by
/// default), so a deploy still waiting a day later will not start; shorter would cancel a
/// deploy queued behind an agent an operator took offline for a working day.
fn default_stuck_after() -> Duration {
    Duration::from_secs(24 * 3600)
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

/// How long the Testflinger server keeps a job (its TTL index on `created_at`): a rack's
/// `every` longer than this could not be honoured from job history.
const TESTFLINGER_JOB_RETENTION: Duration = Duration::from_secs(7 * 86_400);

/// The rules the schema cannot say for `racks`: plain rack names, the sources they need, MAAS
/// tags matched whole, and durations within bounds (`every` within job retention).
pub(crate) fn check_section(desired: &Desired, problems: &mut Vec<Problem>) {
    const SECTION: &str = "racks";
    if !desired.racks.is_empty() {
        let sources = &desired.sources;
        let present = [
            ("maas", sources.maas.is_some()),
            ("testflinger", sources.testflinger.is_some()),
        ];
        require_sources(problems, SECTION, &present);
    }
    for (name, rack) in &desired.racks {
        check_name(
            problems,
            SECTION,
            name,
            "a rack name",
            "it becomes a job tag",
        );
        let tags = pointer(SECTION, name, "maas_tags");
        check_identifier_list(
            problems,
            &tags,
            &rack.maas_tags,
            "a MAAS tag is matched whole",
        );
        let durations = [
            ("every", Some(rack.every)),
            ("global_timeout", rack.global_timeout),
            ("output_timeout", rack.output_timeout),
            ("agent_stale_after", rack.agent_stale_after),
            ("stuck_after", Some(rack.stuck_after)),
        ];
        check_durations(problems, &entry_keys(SECTION, name), &durations);
        if let Some(location) = &rack.agent_location {
            let at = pointer(SECTION, name, "agent_location");
            check_text(
                problems,
                at,
                location,
                "it is matched in each agent's location",
            );
        }
        super::reserve_timeout::check_reserve_timeout(desired, name, rack, problems);
        let rollout_at = pointer(SECTION, name, "rollout");
        let siblings = |other: &str| desired.racks.get(other).map(|r| &r.rollout);
        check_rollout(problems, &rollout_at, name, &rack.rollout, siblings);
        if !rack.rollout.idle_only {
            problems.push(Problem::at(
                format!("{rollout_at}/idle_only"),
                "racks deploy only to waiting agents: idle_only cannot be false for a rack",
            ));
        }
        check_identifier_list(
            problems,
            &pointer(SECTION, name, "restricted_queues"),
            &rack.restricted_queues,
            "a queue is matched whole",
        );
        check_within_retention(
            problems,
            (pointer(SECTION, name, "stuck_after"), "stuck_after"),
            rack.stuck_after,
            "so a longer wait is never seen",
        );
        check_within_retention(
            problems,
            (pointer(SECTION, name, "every"), "every"),
            rack.every,
            "and the last deploy is read from job history",
        );
    }
}

/// A rack duration that is read back from job history: longer than zero and at most the
/// server's 7-day job retention; `because` ends the reason.
fn check_within_retention(
    problems: &mut Vec<Problem>,
    (at, key): (String, &str),
    value: Duration,
    because: &str,
) {
    if value.is_zero() {
        problems.push(Problem::at(at, format!("{key} must be longer than zero")));
    } else if value > TESTFLINGER_JOB_RETENTION {
        let why = format!(
            "must be at most 7 days (168h): the Testflinger server deletes jobs 7 days after \
             they are created, {because}"
        );
        problems.push(Problem::at(at, why));
    }
}

/// How often an idle agent posts at least: a waiting agent posts on a state change or when a day
/// has passed (testflinger#789).
const IDLE_AGENT_HEARTBEAT: Duration = Duration::from_secs(24 * 3600);

/// Settings that load but defeat themselves, as (JSON pointer, reason): an `agent_stale_after`
/// under a day or under `every` makes healthy idle machines `stale` exactly when they are due;
/// `restricted_queues` without `sources.testflinger.client_id` sends no deploy anywhere (only
/// an owner, an authenticated client, may submit to a restricted queue).
pub(crate) fn defeating_settings(desired: &Desired) -> Vec<(String, String)> {
    let mut warnings = Vec::new();
    let authenticated =
        (desired.sources.testflinger.as_ref()).is_some_and(|tf| tf.client_id.is_some());
    for (name, rack) in &desired.racks {
        if !rack.restricted_queues.is_empty() && !authenticated {
            warnings.push((
                pointer("racks", name, "restricted_queues"),
                "sources.testflinger.client_id is not set: only an owner of a restricted \
                 queue, an authenticated client, may submit to it, so every agent restricted \
                 to one is skipped (restricted_queue)"
                    .to_string(),
            ));
        }
    }
    for (name, rack) in &desired.racks {
        let Some(after) = rack.agent_stale_after else {
            continue;
        };
        let mut reasons = Vec::new();
        if after < IDLE_AGENT_HEARTBEAT {
            reasons.push(
                "it is under a day, and an idle agent posts only on a state change or once a \
                 day (testflinger#789)",
            );
        }
        if after < rack.every {
            reasons.push(
                "it is under `every`, and an agent left idle since our last deploy has not \
                 posted since then",
            );
        }
        if !reasons.is_empty() {
            warnings.push((
                pointer("racks", name, "agent_stale_after"),
                format!(
                    "{}: healthy idle machines are `stale` exactly when they are due and are \
                     never deployed; set it to at least 24h and at least `every`",
                    reasons.join("; ")
                ),
            ));
        }
    }
    warnings
}

/// Where each rack names its template: (JSON pointer, name).
pub(crate) fn template_keys(desired: &Desired) -> Vec<(String, &str)> {
    let racks = desired.racks.iter();
    racks
        .map(|(name, r)| (pointer("racks", name, "template"), r.template.as_str()))
        .collect()
}
