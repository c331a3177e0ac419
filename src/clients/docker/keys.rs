//! Which create-body keys need a newer Engine API than 1.41, from moby's API version history
//! (`tests/upstream/docker/engine-api-version-history.md`): an older daemon ignores them
//! silently (Go's JSON decoding drops what its structs do not have), so a body using one is
//! refused rather than sent. Pure; says nothing about which keys a template may use at all
//! (`write.rs`).

use serde_json::Value;

use super::version::ApiVersion;

/// Create-body keys newer than 1.41, with the version that introduced each. A path is
/// dot-separated; `[]` steps into every element of a list, `*` into every value of an object.
pub const NEWER_KEYS: &[(&str, ApiVersion)] = &[
    // v1.42: "now respects the HostConfig.ConsoleSize property" (ignored before).
    ("HostConfig.ConsoleSize", ApiVersion::new(1, 42)),
    (
        "HostConfig.Mounts[].BindOptions.CreateMountpoint",
        ApiVersion::new(1, 42),
    ),
    ("HostConfig.Annotations", ApiVersion::new(1, 43)),
    (
        "HostConfig.Mounts[].BindOptions.ReadOnlyNonRecursive",
        ApiVersion::new(1, 44),
    ),
    (
        "HostConfig.Mounts[].BindOptions.ReadOnlyForceRecursive",
        ApiVersion::new(1, 44),
    ),
    ("Healthcheck.StartInterval", ApiVersion::new(1, 44)),
    (
        "NetworkingConfig.EndpointsConfig.*.MacAddress",
        ApiVersion::new(1, 44),
    ),
    (
        "HostConfig.Mounts[].VolumeOptions.Subpath",
        ApiVersion::new(1, 45),
    ),
    (
        "HostConfig.Mounts[].TmpfsOptions.Options",
        ApiVersion::new(1, 46),
    ),
    (
        "NetworkingConfig.EndpointsConfig.*.GwPriority",
        ApiVersion::new(1, 48),
    ),
    ("HostConfig.Mounts[].ImageOptions", ApiVersion::new(1, 48)),
];

/// A key of `body` (a create body, as rendered) that the daemon spoken to in `spoken` does not
/// know, with the version that introduced it; the first in [`NEWER_KEYS`] order.
pub fn too_new_key(body: &Value, spoken: ApiVersion) -> Option<(&'static str, ApiVersion)> {
    NEWER_KEYS
        .iter()
        .find(|(path, since)| spoken < *since && present(body, path))
        .copied()
}

/// Why a body using `key` (introduced in `since`) cannot go to a daemon speaking `spoken`.
pub fn refusal(key: &str, since: ApiVersion, spoken: ApiVersion) -> String {
    format!(
        "{key} needs Docker Engine API {since}, and the daemon speaks {spoken}: it would ignore the key; drop it from the template or upgrade the daemon"
    )
}

/// Whether `path` names a value somewhere in `value` (see [`NEWER_KEYS`] for the syntax).
fn present(value: &Value, path: &str) -> bool {
    let (step, rest) = match path.split_once('.') {
        Some((step, rest)) => (step, Some(rest)),
        None => (path, None),
    };
    let children: Vec<&Value> = match (step, value) {
        ("*", Value::Object(map)) => map.values().collect(),
        (key, Value::Object(map)) => match key.strip_suffix("[]") {
            Some(list) => match map.get(list) {
                Some(Value::Array(items)) => items.iter().collect(),
                _ => Vec::new(),
            },
            None => map.get(key).into_iter().collect(),
        },
        _ => Vec::new(),
    };
    // A key sent as null is not sent at all, as far as the daemon is concerned.
    let children = children.into_iter().filter(|v| !v.is_null());
    match rest {
        None => children.count() > 0,
        Some(rest) => children.into_iter().any(|child| present(child, rest)),
    }
}

#[cfg(test)]
#[path = "keys_tests.rs"]
mod tests;
