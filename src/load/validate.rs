//! The checks a desired-state file must pass: the JSON schema (all errors at once) and the
//! rules a schema cannot say. Problems point at JSON pointers; `mod.rs` turns them into
//! file:line:col. No I/O; the secrets' checks are in `credentials.rs`.

use std::sync::OnceLock;

use jsonschema::error::ValidationErrorKind;

use super::model::Desired;

/// A problem before it is given a line and column.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// JSON pointer of the offending value (or of the mapping holding `key_name`).
    pub pointer: String,
    /// A key of the mapping at `pointer`, when the key itself is the problem.
    pub key_name: Option<String>,
    pub message: String,
}

impl Problem {
    pub(crate) fn at(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            key_name: None,
            message: message.into(),
        }
    }
}

/// Runs the JSON schema over the untyped document.
pub(super) fn check_schema(value: &serde_json::Value) -> Vec<Problem> {
    static SCHEMA: OnceLock<(serde_json::Value, jsonschema::Validator)> = OnceLock::new();
    let (schema, validator) = SCHEMA.get_or_init(|| {
        let schema = super::schema();
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        (schema, validator)
    });
    validator
        .iter_errors(value)
        .flat_map(|e| explain(schema, &e))
        .collect()
}

/// Turns one schema error into problems. An `anyOf` (how an optional section is written)
/// is explained by the errors of its non-null branch, which name the real key. An unknown key
/// names the closest known one; a bad enum value lists the allowed ones.
fn explain(schema: &serde_json::Value, error: &jsonschema::ValidationError<'_>) -> Vec<Problem> {
    let pointer = error.instance_path().to_string();
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
            .iter()
            .map(|name| Problem {
                pointer: pointer.clone(),
                key_name: Some(name.clone()),
                message: super::suggest::unknown_key(schema, error, name),
            })
            .collect(),
        ValidationErrorKind::AnyOf { context } => {
            let branches: Vec<&Vec<jsonschema::ValidationError<'static>>> = context
                .iter()
                .filter(|branch| !branch.iter().all(expects_null))
                .collect();
            match branches.as_slice() {
                [only] => only.iter().flat_map(|e| explain(schema, e)).collect(),
                _ => vec![Problem::at(pointer, error.masked().to_string())],
            }
        }
        ValidationErrorKind::Enum { options } => {
            let message = super::suggest::not_in_enum(error.instance(), options);
            vec![Problem::at(
                pointer,
                message.unwrap_or_else(|| error.masked().to_string()),
            )]
        }
        // An externally tagged enum (`settings.lock: {etcd: …}`): the branch whose tag is
        // written is explained; an unknown tag is an unknown key.
        ValidationErrorKind::OneOfNotValid { context } => {
            let written: Vec<&Vec<jsonschema::ValidationError<'static>>> = context
                .iter()
                .filter(|branch| {
                    !branch
                        .iter()
                        .any(|e| e.instance_path().to_string() == pointer)
                })
                .collect();
            let retired =
                crate::reconcilers::device_pools::group::retired(&pointer, error.instance());
            match (written.as_slice(), retired) {
                (_, Some(instead)) => vec![Problem::at(pointer, instead)],
                ([only], None) => only.iter().flat_map(|e| explain(schema, e)).collect(),
                _ => {
                    let message = super::suggest::not_allowed(error.instance(), context);
                    vec![Problem::at(
                        pointer,
                        message.unwrap_or_else(|| error.masked().to_string()),
                    )]
                }
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
    if let Some(flaw) = super::identifiers::identifier_flaw(&desired.settings.fleet) {
        let fleet = &desired.settings.fleet;
        problems.push(Problem::at(
            "/settings/fleet",
            format!("{fleet:?} {flaw} (the fleet name goes into job labels, tags and runner descriptions)"),
        ));
    }
    super::lock_checks::check_lock(&mut problems, desired);
    super::values::check_values(&mut problems, desired);
    crate::reconcilers::check_every_kind(desired, &mut problems);
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
