//! Docker container mutations: create (labels, limits, hardening), start, and remove (404 =
//! already gone = success). Never retried once sent. Decides nothing about which containers.

use std::collections::BTreeMap;

use serde_json::json;

use super::http::{Answer, Mutation, Payload, Removal, Writer, server_message};
use crate::load::HttpSettings;
use crate::secret::{Redactor, Secret};
use crate::sources::docker::{DockerHost, api_url};
use crate::sources::http::{ApiError, Failure, encode_component};

const API: &str = "docker";

/// A writer that reaches the daemon at `host`.
pub fn writer_for(host: &DockerHost, settings: &HttpSettings, redactor: Redactor) -> Writer {
    match host {
        DockerHost::Unix(path) => Writer::for_unix_socket(settings, redactor, path),
        DockerHost::Tcp(_) => Writer::new(settings, redactor),
    }
}

/// A container to create. Environment values are secrets (a runner token travels there).
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    pub image: String,
    pub cmd: Vec<String>,
    pub env: Vec<(String, Secret)>,
    pub labels: BTreeMap<String, String>,
    /// CPU limit in billionths of a CPU (4 CPUs = 4_000_000_000).
    pub nano_cpus: i64,
    /// Memory limit in bytes (0 = none).
    pub memory: i64,
    pub network_mode: Option<String>,
    pub cap_drop: Vec<String>,
    pub cap_add: Vec<String>,
    pub security_opt: Vec<String>,
}

fn refusal(writer: &Writer, m: &Mutation<'_>, answer: &Answer) -> ApiError {
    writer.refused(m, answer, server_message(&answer.body))
}

/// `POST /containers/create?name=`: returns the new container's id. A taken name is 409.
pub fn create_container(
    writer: &Writer,
    base: &str,
    name: &str,
    spec: &ContainerSpec,
) -> Result<String, ApiError> {
    let env: Vec<String> = spec
        .env
        .iter()
        .map(|(k, v)| format!("{k}={}", v.expose()))
        .collect();
    let mut host_config = json!({
        "NanoCpus": spec.nano_cpus, "Memory": spec.memory,
        "CapDrop": spec.cap_drop, "CapAdd": spec.cap_add, "SecurityOpt": spec.security_opt,
    });
    if let Some(network) = &spec.network_mode {
        host_config["NetworkMode"] = json!(network);
    }
    let body = json!({
        "Image": spec.image, "Cmd": spec.cmd, "Env": env, "Labels": spec.labels,
        "HostConfig": host_config,
    });
    let m = Mutation {
        api: API,
        method: "POST",
        url: api_url(base, "/containers/create"),
        query: vec![("name", name.to_string())],
        authorization: None,
        payload: Payload::Json(body.to_string()),
    };
    let answer = writer.send(&m)?;
    if answer.status != 201 {
        return Err(refusal(writer, &m, &answer));
    }
    let v: serde_json::Value = serde_json::from_str(&answer.body)
        .map_err(|e| writer.fail(&m, Failure::Decode(e.to_string())))?;
    match v["Id"].as_str() {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err(writer.fail(&m, Failure::Decode("201 answer without an Id".into()))),
    }
}

/// `POST /containers/{id}/start`: 204 started, 304 already running; both are success.
pub fn start_container(writer: &Writer, base: &str, id: &str) -> Result<(), ApiError> {
    let m = Mutation {
        api: API,
        method: "POST",
        url: api_url(base, &format!("/containers/{}/start", encode_component(id))),
        query: Vec::new(),
        authorization: None,
        payload: Payload::Empty,
    };
    let answer = writer.send(&m)?;
    match answer.status {
        204 | 304 => Ok(()),
        _ => Err(refusal(writer, &m, &answer)),
    }
}

/// `DELETE /containers/{id}?force=&v=true`: 204 removed; 404 "No such container" = already
/// gone. Without `force` a running container is refused (409).
pub fn remove_container(
    writer: &Writer,
    base: &str,
    id: &str,
    force: bool,
) -> Result<Removal, ApiError> {
    let m = Mutation {
        api: API,
        method: "DELETE",
        url: api_url(base, &format!("/containers/{}", encode_component(id))),
        query: vec![("force", force.to_string()), ("v", "true".into())],
        authorization: None,
        payload: Payload::Empty,
    };
    let answer = writer.send(&m)?;
    match answer.status {
        204 => Ok(Removal::Removed),
        // Only dockerd's own "no such container": a 404 route (wrong base) is an error.
        404 if server_message(&answer.body).starts_with("No such container") => {
            Ok(Removal::AlreadyGone)
        }
        _ => Err(refusal(writer, &m, &answer)),
    }
}
