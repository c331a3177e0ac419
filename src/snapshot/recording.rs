//! Recorded snapshots: a [`Snapshot`] as versioned JSON (`plan --record`) and back
//! (`plan --from-snapshot`). A failed source is kept as its message (already redacted); no
//! secret is ever part of a recording. File I/O only, never a request, never a decision.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::clients::http::{ApiError, Failure};
use crate::load::Desired;
use crate::reconcilers::PerKind;
use crate::snapshot::TestflingerAgent;
use crate::snapshot::{LambdatestState, QueueState, RackState, RunnerPoolState, Snapshot};

/// The recording format this build writes and reads.
pub const SNAPSHOT_FORMAT: u32 = 1;

/// Why a pool the recording never read is held on replay.
pub const NOT_RECORDED: &str = "not in the recorded snapshot";

/// What one run read, as written to disk.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Recording {
    pub format: u32,
    /// The devicepool version that recorded it.
    pub devicepool: String,
    /// When the reading started; a replay plans as of this time.
    #[schemars(with = "String")]
    pub taken_at: Timestamp,
    /// Per Taskcluster task queue.
    pub queues: BTreeMap<String, Reading<QueueState>>,
    pub lambdatest: Reading<LambdatestState>,
    pub agents: Reading<Vec<TestflingerAgent>>,
    pub racks: BTreeMap<String, Reading<RackState>>,
    pub runner_pools: BTreeMap<String, Reading<RunnerPoolState>>,
    /// What each rack's machines were selected by (its `maas_tags`) and each runner pool's
    /// pending jobs (its `projects`): a replay whose desired state selects otherwise holds it.
    #[serde(default)]
    pub read_with: ReadWith,
}

/// The desired-state fields a reading depended on, per rack and runner pool.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadWith {
    pub rack_maas_tags: BTreeMap<String, Vec<String>>,
    pub runner_pool_projects: BTreeMap<String, Vec<String>>,
    /// The settings the device pools' readings depended on (source URLs, the LambdaTest
    /// account's variable, how far back the job list was read): a replay whose desired state
    /// reads otherwise holds every device pool.
    #[serde(default)]
    pub device_pool_reads: BTreeMap<String, String>,
    /// The fleet and key the runners, containers and deploy histories were judged for when
    /// read (the recording keeps only the verdict): a replay for another fleet or key is
    /// refused. Absent in a recording made before fleets: the default fleet without a key.
    #[serde(default)]
    pub judged_for: JudgedFor,
}

/// Whose objects a reading took as its own: a fleet, and a fingerprint of its ownership key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgedFor {
    pub fleet: String,
    /// The first 8 hex characters of SHA-256 over HMAC-SHA-256(key, "fingerprint"): tells
    /// one key from another, never the key. Absent without a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_fingerprint: Option<String>,
}

impl Default for JudgedFor {
    fn default() -> Self {
        JudgedFor {
            fleet: crate::reconcilers::ownership::DEFAULT_FLEET.to_string(),
            key_fingerprint: None,
        }
    }
}

impl std::fmt::Display for JudgedFor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.key_fingerprint {
            Some(print) => write!(
                f,
                "fleet {:?} with the key of fingerprint {print}",
                self.fleet
            ),
            None => write!(f, "fleet {:?} without an ownership key", self.fleet),
        }
    }
}

impl ReadWith {
    fn of(desired: &Desired) -> ReadWith {
        let PerKind {
            device_pools: _read_with_their_sources,
            racks,
            runner_pools,
        } = desired.kinds();
        ReadWith {
            rack_maas_tags: (racks.iter())
                .map(|(name, rack)| (name.clone(), rack.maas_tags.clone()))
                .collect(),
            runner_pool_projects: (runner_pools.iter())
                .map(|(name, pool)| (name.clone(), pool.projects.clone()))
                .collect(),
            device_pool_reads: device_pool_reads(desired),
            judged_for: crate::reconcilers::ownership::Ownership::of(desired).judged_for(),
        }
    }
}

fn device_pool_reads(desired: &Desired) -> BTreeMap<String, String> {
    let mut reads = BTreeMap::new();
    let mut note = |key: &str, value: String| reads.insert(key.to_string(), value);
    if let Some(tc) = &desired.sources.taskcluster {
        note("taskcluster.root_url", tc.root_url.clone());
        // Only when set: every worker is then listed, for its lastDateActive.
        if let Some(after) = tc.worker_stale_after {
            note("taskcluster.worker_stale_after", format!("{after:?}"));
        }
    }
    if let Some(lt) = &desired.sources.lambdatest {
        note("lambdatest.api_url", lt.api_url.clone());
        note("lambdatest.devices_url", lt.devices_url.clone());
        note("lambdatest.username_env", lt.username_env.clone());
        note("lambdatest.job_window", format!("{:?}", lt.job_window));
        note("lambdatest.page_size", lt.page_size.to_string());
        note("lambdatest.max_pages", lt.max_pages.to_string());
    }
    reads
}

/// One source's answer: the data, or the message its failure showed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reading<T> {
    Read(T),
    Failed(String),
}

/// A failure replayed from its recorded message.
/// Holds the LambdaTest reading when its count of the org's initiated jobs stopped at a
/// ceiling below `desired`'s: how many more there were is unknown, so the room would be a
/// guess.
fn hold_uncounted(lambdatest: &mut Result<LambdatestState, ApiError>, desired: &Desired) {
    let (Ok(read), Some(lt)) = (&*lambdatest, &desired.sources.lambdatest) else {
        return;
    };
    if let Some(counted) = read.org_initiated
        && !counted.settles(lt.max_initiated)
    {
        *lambdatest = Err(recorded_error(format!(
            "not in the recorded snapshot: the org's initiated jobs were counted only up to \
             max_initiated {}, and sources.lambdatest.max_initiated is now {}",
            counted.enough, lt.max_initiated
        )));
    }
}

fn recorded_error(message: String) -> ApiError {
    ApiError {
        api: "snapshot",
        method: "",
        url: String::new(),
        failure: Failure::Recorded(message),
    }
}

fn to_reading<T: Clone>(result: &Result<T, ApiError>) -> Reading<T> {
    match result {
        Ok(value) => Reading::Read(value.clone()),
        Err(e) => Reading::Failed(e.to_string()),
    }
}

fn to_result<T>(reading: Reading<T>) -> Result<T, ApiError> {
    match reading {
        Reading::Read(value) => Ok(value),
        Reading::Failed(message) => Err(recorded_error(message)),
    }
}

fn to_readings<T: Clone>(
    map: &BTreeMap<String, Result<T, ApiError>>,
) -> BTreeMap<String, Reading<T>> {
    map.iter()
        .map(|(k, v)| (k.clone(), to_reading(v)))
        .collect()
}

fn to_results<T>(map: BTreeMap<String, Reading<T>>) -> BTreeMap<String, Result<T, ApiError>> {
    map.into_iter().map(|(k, v)| (k, to_result(v))).collect()
}

/// Every reading in `map` that was made with other selectors than `now` has is held: the
/// recording cannot tell what the new selectors would have found.
fn hold_reselected<T>(
    map: &mut BTreeMap<String, Result<T, ApiError>>,
    recorded: &BTreeMap<String, Vec<String>>,
    now: &BTreeMap<String, Vec<String>>,
    field: &str,
) {
    for (name, reading) in map.iter_mut() {
        if let (Some(then), Some(wanted)) = (recorded.get(name), now.get(name))
            && then != wanted
        {
            *reading = Err(recorded_error(format!(
                "read with other {field} ({}) in the recorded snapshot",
                then.join(", ")
            )));
        }
    }
}

/// Every key `desired` needs that `map` lacks is held as [`NOT_RECORDED`], so a replay never
/// plans on missing data as if it were empty.
fn hold_missing<'a, T>(
    map: &mut BTreeMap<String, Result<T, ApiError>>,
    keys: impl Iterator<Item = &'a String>,
) {
    for key in keys {
        map.entry(key.clone())
            .or_insert_with(|| Err(recorded_error(NOT_RECORDED.to_string())));
    }
}

impl Recording {
    /// The recording of what a run of `desired` read.
    pub fn of(snapshot: &Snapshot, desired: &Desired) -> Recording {
        let Snapshot {
            taken_at,
            queues,
            lambdatest,
            agents,
            racks,
            runner_pools,
        } = snapshot;
        Recording {
            format: SNAPSHOT_FORMAT,
            devicepool: env!("CARGO_PKG_VERSION").to_string(),
            taken_at: *taken_at,
            queues: to_readings(queues),
            lambdatest: to_reading(lambdatest),
            agents: to_reading(agents),
            racks: to_readings(racks),
            runner_pools: to_readings(runner_pools),
            read_with: ReadWith::of(desired),
        }
    }

    /// The snapshot to plan `desired` from: what was recorded, plus every queue, rack and
    /// runner pool of `desired` the recording lacks, held as [`NOT_RECORDED`].
    pub fn into_snapshot(self, desired: &Desired) -> Snapshot {
        let mut snapshot = Snapshot {
            taken_at: self.taken_at,
            queues: to_results(self.queues),
            lambdatest: to_result(self.lambdatest),
            agents: to_result(self.agents),
            racks: to_results(self.racks),
            runner_pools: to_results(self.runner_pools),
        };
        let PerKind {
            device_pools: wanted_pools,
            racks: wanted_racks,
            runner_pools: wanted_runner_pools,
        } = desired.kinds();
        hold_missing(
            &mut snapshot.queues,
            wanted_pools.values().map(|p| &p.task_queue),
        );
        let wanted = ReadWith::of(desired);
        let then = &self.read_with;
        let tags = (&then.rack_maas_tags, &wanted.rack_maas_tags);
        hold_reselected(&mut snapshot.racks, tags.0, tags.1, "maas_tags");
        let projects = (&then.runner_pool_projects, &wanted.runner_pool_projects);
        hold_reselected(
            &mut snapshot.runner_pools,
            projects.0,
            projects.1,
            "projects",
        );
        let (then_reads, wanted_reads) = (&then.device_pool_reads, &wanted.device_pool_reads);
        if let Some(key) = (then_reads.keys().chain(wanted_reads.keys()))
            .find(|key| then_reads.get(*key) != wanted_reads.get(*key))
        {
            // Every device pool reads LambdaTest: an error there holds them all.
            snapshot.lambdatest = Err(recorded_error(format!(
                "not in the recorded snapshot: it was read with another sources.{key}"
            )));
        }
        hold_uncounted(&mut snapshot.lambdatest, desired);
        hold_missing(&mut snapshot.racks, wanted_racks.keys());
        hold_missing(&mut snapshot.runner_pools, wanted_runner_pools.keys());
        snapshot
    }

    /// Refuses to replay this recording for `desired` (the file at `config`) when it judged
    /// runners, containers and deploys for another fleet or key: they would show as ours.
    pub fn check_judged_for(&self, desired: &Desired, config: &Path) -> anyhow::Result<()> {
        let (then, now) = (&self.read_with.judged_for, ReadWith::of(desired).judged_for);
        if *then != now {
            anyhow::bail!(
                "the snapshot was read for {then}, but {} is {now}: runners, containers and \
                 deploys were judged whose they are when read, so it cannot be replayed for \
                 another fleet or key (record it again with `plan --record`)",
                config.display()
            );
        }
        Ok(())
    }

    /// Reads a recording, refusing another format with a message that names both.
    pub fn read(path: &Path) -> anyhow::Result<Recording> {
        let text = crate::load::read_input(path)
            .with_context(|| format!("cannot read the snapshot {}", path.display()))?;
        Recording::parse(&text, path)
    }

    /// A recording's text → the recording (`path` only names it in errors). Pure: the fuzz
    /// target `recorded_snapshot` feeds it directly.
    pub fn parse(text: &str, path: &Path) -> anyhow::Result<Recording> {
        let value: serde_json::Value = serde_json::from_str(text)
            .with_context(|| format!("{} is not a recorded snapshot (not JSON)", path.display()))?;
        let format = value.get("format").and_then(serde_json::Value::as_u64);
        if format != Some(u64::from(SNAPSHOT_FORMAT)) {
            let shown = format.map_or("none".to_string(), |f| f.to_string());
            anyhow::bail!(
                "{} has snapshot format {shown}; this devicepool reads format {SNAPSHOT_FORMAT} \
                 (record it again with `plan --record`)",
                path.display()
            );
        }
        serde_json::from_value(value)
            .with_context(|| format!("{} is not a recorded snapshot", path.display()))
    }

    /// Writes the recording as JSON, atomically (temp file, then rename), mode 0600.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let writing = || format!("cannot write the snapshot to {}", path.display());
        let mut file = tempfile::NamedTempFile::new_in(dir).with_context(writing)?;
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        std::io::Write::write_all(&mut file, text.as_bytes()).with_context(writing)?;
        file.persist(path).with_context(writing)?;
        Ok(())
    }
}

#[cfg(test)]
#[path = "recording_tests.rs"]
mod tests;
