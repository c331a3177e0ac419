//! Friendlier schema messages: the known key closest to an unknown one ("did you mean …",
//! only when it is close) and the values a string enum allows instead of the raw `oneOf`
//! message. Reads only the schema and the error; decides nothing about validity.

use jsonschema::ValidationError;
use jsonschema::error::ValidationErrorKind;
use serde_json::Value;

/// The message for an unknown key `name` of the mapping whose schema error is `error`:
/// `unknown key`, with the closest key the schema knows there when one is close.
pub(super) fn unknown_key(schema: &Value, error: &ValidationError<'_>, name: &str) -> String {
    let known = known_keys(schema, error);
    match closest(name, known.iter().map(String::as_str)) {
        Some(key) => format!("unknown key (did you mean `{key}`?)"),
        None => "unknown key".to_string(),
    }
}

/// The keys the schema object holding the failed `additionalProperties` lists.
fn known_keys(schema: &Value, error: &ValidationError<'_>) -> Vec<String> {
    let location = error
        .absolute_keyword_location()
        .and_then(|uri| uri.fragment().map(|f| f.as_str().to_string()))
        .unwrap_or_else(|| error.schema_path().to_string());
    let holder = location
        .strip_suffix("/additionalProperties")
        .unwrap_or(&location);
    schema
        .pointer(holder)
        .and_then(|object| object.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().cloned().collect())
        .unwrap_or_default()
}

/// The candidate nearest to `written` by edit distance, when it is within a third of the
/// written key's length (at least one edit); ties go to the first.
pub(super) fn closest<'a>(written: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (written.chars().count() / 3).max(1);
    known
        .map(|key| (edit_distance(written, key), key))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

/// Levenshtein distance over characters, an adjacent swap counting as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

/// For a `oneOf` whose every branch is one constant (a string enum), the message naming the
/// value written and the values allowed; `None` for any other `oneOf`.
pub(super) fn not_allowed(
    written: &Value,
    branches: &[Vec<ValidationError<'static>>],
) -> Option<String> {
    let allowed: Option<Vec<String>> = branches
        .iter()
        .map(|branch| match branch.as_slice() {
            [only] => match only.kind() {
                ValidationErrorKind::Constant { expected_value } => Some(show(expected_value)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    allowed
        .filter(|values| !values.is_empty())
        .map(|values| message(written, &values))
}

/// The same message for a plain `enum` keyword.
pub(super) fn not_in_enum(written: &Value, options: &Value) -> Option<String> {
    let values: Vec<String> = options.as_array()?.iter().map(show).collect();
    Some(message(written, &values))
}

fn message(written: &Value, allowed: &[String]) -> String {
    format!(
        "{} is not allowed; one of: {}",
        show(written),
        allowed.join(", ")
    )
}

/// A value as the user writes it in YAML: strings bare, anything else as JSON.
fn show(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[path = "suggest_tests.rs"]
mod tests;
