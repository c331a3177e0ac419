//! The checks a desired-state file must pass: the JSON schema (all errors at once) and the
//! rules a schema cannot say. Problems point at JSON pointers; `mod.rs` turns them into
//! file:line:col. No I/O; the secrets' checks are in `credentials.rs`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;

use super::model::Desired;
use super::tree::escape;

/// How long the Testflinger server keeps a job (its TTL index on `created_at`): a rack's
/// `every` longer than this could not be honoured from job history.
const TESTFLINGER_JOB_RETENTION: std::time::Duration = std::time::Duration::from_secs(7 * 86_400);

/// A problem before it is given a line and column.
#[derive(Debug, Clone)]
pub(super) struct Problem {
    /// JSON pointer of the offending value (or of the mapping holding `key_name`).
    pub pointer: String,
    /// A key of the mapping at `pointer`, when the key itself is the problem.
    pub key_name: Option<String>,
    pub message: String,
}

impl Problem {
    pub(super) fn at(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            key_name: None,
            message: message.into(),
        }
    }
}

/// Runs the JSON schema over the untyped document.
pub(super) fn check_schema(value: &serde_json::Value) -> Vec<Problem> {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    let validator = VALIDATOR
        .get_or_init(|| jsonschema::validator_for(&super::schema()).expect("schema compiles"));
    validator
        .iter_errors(value)
        .flat_map(|e| explain(&e))
        .collect()
}

/// Turns one schema error into problems. An `anyOf` (how an optional section is written)
/// is explained by the errors of its non-null branch, which name the real key.
fn explain(error: &jsonschema::ValidationError<'_>) -> Vec<Problem> {
    let pointer = error.instance_path().to_string();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| Problem {
                pointer: pointer.clone(),
                key_name: Some(name.clone()),
                message: "unknown key".to_string(),
            })
            .collect(),
        ValidationErrorKind::AnyOf { context } => {
            let branches: Vec<&Vec<jsonschema::ValidationError<'static>>> = context
                .iter()
                .filter(|branch| !branch.iter().all(expects_null))
                .collect();
            match branches.as_slice() {
                [only] => only.iter().flat_map(|e| explain(e)).collect(),
                _ => vec![Problem::at(pointer, error.masked().to_string())],
            }
        }
        _ => vec![Problem::at(pointer, error.masked().to_string())],
    }
}

fn expects_null(error: &jsonschema::ValidationError<'_>) -> bool {
    use jsonschema::error::TypeKind;
    matches!(
        error.kind(),
        ValidationErrorKind::Type {
            kind: TypeKind::Single(jsonschema::JsonType::Null)
        }
    )
}

/// Names end up in labels, tags, runner descriptions and container names: keep them plain.
fn check_name(problems: &mut Vec<Problem>, section: &str, name: &str, what: &str, why: &str) {
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        problems.push(Problem {
            pointer: format!("/{section}"),
            key_name: Some(name.to_string()),
            message: format!("{what} may hold only letters, digits, '-', '_' and '.' ({why})"),
        });
    }
}

/// A section that has entries needs every source named in `present` to be configured.
fn require_sources(problems: &mut Vec<Problem>, section: &str, present: &[(&str, bool)]) {
    for (source, is_present) in present {
        if !is_present {
            problems.push(Problem::at(
                "/sources",
                format!("{section} need sources.{source}"),
            ));
        }
    }
}

/// A zero timeout fails every request (or launch) at once, so every source would be held
/// with `no response: timeout`; a zero plan lifetime expires every saved plan. Refuse them
/// where they are written.
fn check_timeouts(problems: &mut Vec<Problem>, desired: &Desired) {
    let settings = &desired.settings;
    let sources = desired
        .sources
        .timeouts()
        .map(|(name, timeout)| (format!("/sources/{name}/timeout"), timeout));
    let timeouts = [
        (
            "/settings/http/timeout".to_string(),
            Some(settings.http.timeout),
        ),
        (
            "/settings/launch/timeout".to_string(),
            Some(settings.launch.timeout),
        ),
        // A saved plan that expires as it is written could never be applied.
        (
            "/settings/plan_lifetime".to_string(),
            Some(settings.plan_lifetime),
        ),
    ]
    .into_iter()
    .chain(sources);
    for (pointer, timeout) in timeouts {
        if timeout.is_some_and(|t| t.is_zero()) {
            problems.push(Problem::at(&pointer, "must be longer than zero"));
        }
    }
}

/// Rules the schema cannot express.
pub(super) fn check_semantics(desired: &Desired) -> Vec<Problem> {
    let mut problems = Vec::new();
    check_timeouts(&mut problems, desired);
    super::identifiers::check_identifiers(&mut problems, desired);
    super::values::check_values(&mut problems, desired);
    let mut owner_of_udid: BTreeMap<&str, &str> = BTreeMap::new();
    let mut owner_of_queue: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, pool) in &desired.device_pools {
        let base = format!("/device_pools/{}", escape(name));
        check_name(
            &mut problems,
            "device_pools",
            name,
            "a pool name",
            "it becomes a job label",
        );
        if let Some(other) = owner_of_queue.insert(&pool.task_queue, name) {
            problems.push(Problem::at(
                format!("{base}/task_queue"),
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
                problems.push(Problem::at(format!("{base}/devices/{i}"), message));
            }
        }
    }
    let sources = &desired.sources;
    if !desired.device_pools.is_empty() {
        require_sources(
            &mut problems,
            "device_pools",
            &[
                ("taskcluster", sources.taskcluster.is_some()),
                ("lambdatest", sources.lambdatest.is_some()),
            ],
        );
    }
    for (name, rack) in &desired.racks {
        check_name(
            &mut problems,
            "racks",
            name,
            "a rack name",
            "it becomes a job tag",
        );
        let every = format!("/racks/{}/every", escape(name));
        if rack.every.is_zero() {
            problems.push(Problem::at(every, "every must be longer than zero"));
        } else if rack.every > TESTFLINGER_JOB_RETENTION {
            problems.push(Problem::at(
                every,
                "must be at most 7 days (168h): the Testflinger server deletes jobs 7 days \
                 after they are created, and the last deploy is read from job history",
            ));
        }
    }
    if !desired.runner_pools.is_empty() {
        require_sources(
            &mut problems,
            "runner_pools",
            &[("gitlab", sources.gitlab.is_some())],
        );
    }
    for (name, pool) in &desired.runner_pools {
        check_name(
            &mut problems,
            "runner_pools",
            name,
            "a runner pool name",
            "it names runners and containers",
        );
        if pool.min_idle > pool.max_runners {
            problems.push(Problem::at(
                format!("/runner_pools/{}/min_idle", escape(name)),
                "min_idle must not exceed max_runners",
            ));
        }
        if !(pool.docker_socket.is_empty() || pool.docker_socket.starts_with('/')) {
            problems.push(Problem::at(
                format!("/runner_pools/{}/docker_socket", escape(name)),
                "docker_socket must be an absolute path on the Docker host, or empty for none",
            ));
        }
    }
    if !desired.racks.is_empty() {
        require_sources(
            &mut problems,
            "racks",
            &[
                ("maas", sources.maas.is_some()),
                ("testflinger", sources.testflinger.is_some()),
            ],
        );
    }
    if let Some(lt) = &desired.sources.lambdatest
        && lt.launch_grace > lt.job_window
    {
        problems.push(Problem::at(
            "/sources/lambdatest/launch_grace",
            "launch_grace must not be longer than job_window (jobs are read back that far)",
        ));
    }
    problems
}
