//! A runner pool as the desired state writes it (`runner_pools.<name>`): plain serde +
//! schemars data with defaults, part of `schemas/devicepool.schema.json`. No I/O, no
//! validation logic.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::load::duration::optional as optional_duration;
use crate::load::duration::required as friendly_duration;

use crate::load::Desired;
use crate::load::section::{
    KeyAt, Problem, check_durations, check_identifier_list, check_name, entry_keys, pointer,
    require_sources,
};
use crate::reconcilers::rollout::check_rollout;
use crate::reconcilers::schedule::{InEffect, Period, Scheduled, check_schedule};

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
    /// Recycle: a runner that has run this many jobs is removed once it is idle (GitLab
    /// docker-autoscaler's `max_use_count`). Absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_jobs_per_runner: Option<u32>,
    /// Recycle: a runner registered this long ago is removed once it is idle. Absent: no
    /// limit.
    #[serde(
        default,
        with = "optional_duration",
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(with = "Option<String>")]
    pub max_runner_age: Option<Duration>,
    /// A runner whose job has run longer than this is flagged `busy_too_long` in the plan,
    /// `explain` and the metrics (never removed: a person decides). Default 3h, three times
    /// GitLab's default job timeout of 1h.
    #[serde(default = "default_max_job_duration", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub max_job_duration: Duration,
    /// Container spec template.
    #[serde(default = "default_runner_template")]
    pub template: String,
    /// Several Docker hosts for this pool's containers, each with the most runners it takes;
    /// a start goes to the host with the most room. Empty: the one Docker host
    /// (`sources.docker.host`, else `DOCKER_HOST`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub docker_hosts: Vec<DockerHostShare>,
    /// A disabled pool is reported but never changed.
    #[serde(default)]
    pub disabled: bool,
    /// How runners whose container runs an outdated spec (image, template, limits) are
    /// replaced: see docs/configuration.md.
    #[serde(default)]
    pub rollout: crate::reconcilers::rollout::Rollout,
    /// Periods that change some settings by time of day; the first in effect wins. It may set: `min_idle`, `max_runners`,
    /// `max_starts_per_run`, `idle_cooldown`, `max_removals_per_run`, `disabled`.
    #[serde(default)]
    pub schedule: Vec<Period>,
    /// The period in effect for this run (set when settled; never read from the file).
    #[serde(skip)]
    #[schemars(skip)]
    pub in_effect: Option<InEffect>,
    /// The digest of the container spec the pool renders now (its template with placeholders
    /// for the runner and the token redacted), set before planning; never read from the file.
    #[serde(skip)]
    #[schemars(skip)]
    pub spec: Option<String>,
}

/// One Docker host of a runner pool and the most runners it takes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DockerHostShare {
    /// `unix:///path` or `tcp://host:port`, as `DOCKER_HOST` spells it.
    pub host: String,
    /// Most runners of this pool on this host at once.
    pub max_runners: u32,
}

impl Scheduled for RunnerPool {
    const SCHEDULABLE: &'static [&'static str] = &[
        "min_idle",
        "max_runners",
        "max_starts_per_run",
        "idle_cooldown",
        "max_removals_per_run",
        "disabled",
    ];

    fn periods(&self) -> &[Period] {
        &self.schedule
    }

    fn note_in_effect(&mut self, in_effect: Option<InEffect>) {
        self.in_effect = in_effect;
    }

    fn check_values(&self, problems: &mut Vec<Problem>, at: KeyAt<'_>) {
        let durations = [
            ("idle_cooldown", Some(self.idle_cooldown)),
            ("offline_grace", Some(self.offline_grace)),
            ("max_runner_age", self.max_runner_age),
            ("max_job_duration", Some(self.max_job_duration)),
        ];
        check_durations(problems, at, &durations);
        if self.min_idle > self.max_runners
            && let Some(pointer) = at("min_idle").or_else(|| at("max_runners"))
        {
            problems.push(Problem::at(pointer, "min_idle must not exceed max_runners"));
        }
    }
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

/// Three times GitLab's default job timeout (1h): a job still running past it is stuck or in a
/// project whose timeout was raised (set it above the longest such timeout).
fn default_max_job_duration() -> Duration {
    Duration::from_secs(3 * 3600)
}

fn default_remove_fraction() -> f64 {
    0.5
}

fn default_runner_template() -> String {
    "gitlab-runner.json.j2".into()
}

/// The rules the schema cannot say for `runner_pools`: plain pool names, the sources they
/// need, tags usable in GitLab's comma-separated list, durations within bounds, `min_idle`
/// within `max_runners` and an absolute (or empty) Docker socket.
pub(crate) fn check_section(desired: &Desired, problems: &mut Vec<Problem>) {
    const SECTION: &str = "runner_pools";
    if !desired.runner_pools.is_empty() {
        let present = [("gitlab", desired.sources.gitlab.is_some())];
        require_sources(problems, SECTION, &present);
    }
    for (name, pool) in &desired.runner_pools {
        let why = "it names runners and containers";
        check_name(problems, SECTION, name, "a runner pool name", why);
        let tags = pointer(SECTION, name, "tags");
        let why = "runner tags are sent to GitLab comma-separated";
        check_identifier_list(problems, &tags, &pool.tags, why);
        let projects = pointer(SECTION, name, "projects");
        let why = "a project is an id or a group/project path";
        check_identifier_list(problems, &projects, &pool.projects, why);
        pool.check_values(problems, &entry_keys(SECTION, name));
        check_schedule(problems, SECTION, name, pool);
        let siblings = |other: &str| desired.runner_pools.get(other).map(|p| &p.rollout);
        let rollout_at = pointer(SECTION, name, "rollout");
        check_rollout(problems, &rollout_at, name, &pool.rollout, siblings);
        check_hosts(
            problems,
            &pointer(SECTION, name, "docker_hosts"),
            &pool.docker_hosts,
        );
        if !(pool.docker_socket.is_empty() || pool.docker_socket.starts_with('/')) {
            problems.push(Problem::at(
                pointer(SECTION, name, "docker_socket"),
                "docker_socket must be an absolute path on the Docker host, or empty for none",
            ));
        }
    }
}

/// Each of `docker_hosts` a Docker host address, none named twice.
fn check_hosts(problems: &mut Vec<Problem>, at: &str, hosts: &[DockerHostShare]) {
    for (i, share) in hosts.iter().enumerate() {
        let here = format!("{at}/{i}/host");
        if let Err(e) = crate::clients::docker::DockerHost::parse(&share.host) {
            problems.push(Problem::at(here, e));
        } else if hosts[..i].iter().any(|h| h.host == share.host) {
            problems.push(Problem::at(here, "this Docker host is named twice"));
        }
    }
}

/// Where each runner pool names its template: (JSON pointer, name).
pub(crate) fn template_keys(desired: &Desired) -> Vec<(String, &str)> {
    let pools = desired.runner_pools.iter();
    pools
        .map(|(name, p)| {
            (
                pointer("runner_pools", name, "template"),
                p.template.as_str(),
            )
        })
        .collect()
}
