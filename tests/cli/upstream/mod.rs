//! The fakes against the upstreams' own contracts: every route the GitLab, Docker, Taskcluster
//! and LambdaTest fakes serve is called, and each answer is validated against the schema
//! written from the upstream's published schema, entities or recorded answers
//! (`tests/upstream/<api>/`, sources named there). Only `jsonschema` judges: devicepool's own
//! decoders are never used here, so a fake cannot drift along with them.

use std::path::Path;

use serde_json::Value;

mod device_apis;
mod lease_api;
mod runner_apis;

/// An answer: status, headers (names lower-case) and body.
pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    pub(super) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub(super) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// One request to a fake on loopback TCP; a status is an answer, never an error.
pub(super) fn call(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let (status, headers, body) = devicepool_sim::probe::fetch(method, url, headers, body);
    Answer {
        status,
        headers,
        body,
    }
}

/// One HTTP/1.1 request over the Docker fake's unix socket.
pub(super) fn docker(socket: &Path, method: &str, path: &str, body: Option<&str>) -> Answer {
    let (status, headers, body) = devicepool_sim::probe::fetch_unix(socket, method, path, body);
    Answer {
        status,
        headers,
        body,
    }
}

/// What `tests/upstream/<file>` finds wrong with `value`, one line per mismatch.
pub(super) fn mismatches(file: &str, value: &Value) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/upstream")
        .join(file);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{file}: {e}"));
    validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Validates `value` against `tests/upstream/<file>`; the failure lists every mismatch.
pub(super) fn check(file: &str, value: &Value, what: &str) {
    let errors = mismatches(file, value);
    assert!(
        errors.is_empty(),
        "{what} does not match {file}: {errors:#?}\n{value:#}"
    );
}

/// HTTP Basic's base64, written out so no client code of devicepool builds the header.
pub(super) fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The fakes live in their own crate, so they can only use devicepool's clients by depending on
/// the `devicepool` package: its manifest must never name it (under any table or rename).
#[test]
fn the_fakes_import_nothing_of_devicepools_clients() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/devicepool-sim/Cargo.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let key = line.split('=').next().unwrap_or("").trim();
        let names_product = key == "devicepool"
            || key.ends_with(".devicepool]")
            || line.replace(' ', "").contains("package=\"devicepool\"")
            || line.replace(' ', "").contains("path=\"../..");
        assert!(
            !names_product,
            "{} depends on devicepool ({line}): a fake must implement the upstream contract, not mirror our client",
            manifest.display()
        );
    }
    assert!(
        text.contains("name = \"devicepool-sim\""),
        "{}",
        manifest.display()
    );
}
