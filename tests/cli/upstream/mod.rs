//! The fakes against the upstreams' own contracts: every route the GitLab, Docker, Taskcluster
//! and LambdaTest fakes serve is called, and each answer is validated against the schema
//! written from the upstream's published schema, entities or recorded answers
//! (`tests/upstream/<api>/`, sources named there). Only `jsonschema` judges: devicepool's own
//! decoders are never used here, so a fake cannot drift along with them.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;

use serde_json::Value;

mod device_apis;
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
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut request = ureq::http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request
        .body(body.unwrap_or_default().to_string())
        .expect("request");
    let mut response = agent.run(request).expect("the fake answers");
    Answer {
        status: response.status().as_u16(),
        headers: response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    v.to_str().unwrap_or_default().into(),
                )
            })
            .collect(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
    }
}

/// One HTTP/1.1 request over the Docker fake's unix socket.
pub(super) fn docker(socket: &Path, method: &str, path: &str, body: Option<&str>) -> Answer {
    let mut stream = UnixStream::connect(socket).expect("socket");
    let body = body.unwrap_or_default();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut raw = String::new();
    stream.read_to_string(&mut raw).expect("answer");
    let (head, body) = raw.split_once("\r\n\r\n").expect("head and body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// Validates `value` against `tests/upstream/<file>`; the failure lists every mismatch.
pub(super) fn check(file: &str, value: &Value, what: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/upstream")
        .join(file);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap())
        .unwrap_or_else(|e| panic!("{file}: {e}"));
    let validator = jsonschema::validator_for(&schema).unwrap_or_else(|e| panic!("{file}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
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
