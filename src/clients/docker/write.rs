//! Docker container mutations: create (the rendered spec passed through, unknown keys
//! refused), start, and remove (404 = already gone = success). Never retried once sent.
//! Decides nothing about which containers.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::clients::docker::{DockerHost, api_url};
use crate::clients::http::{ApiError, Failure, encode_component};
use crate::clients::http_send::{Answer, Mutation, Payload, Removal, Writer, server_message};
use crate::load::HttpSettings;
use crate::secret::{Redactor, Secret};

const API: &str = "docker";

/// A writer that reaches the daemon at `host`.
pub fn writer_for(host: &DockerHost, settings: &HttpSettings, redactor: Redactor) -> Writer {
    match host {
        DockerHost::Unix(path) => Writer::for_unix_socket(settings, redactor, path),
        DockerHost::Tcp(_) => Writer::new(settings, redactor),
    }
}

/// A container to create: the rendered spec, passed through to `POST /containers/create`.
/// Environment values are secrets (a runner token travels there).
#[derive(Debug, Clone, Default)]
pub struct ContainerSpec {
    pub image: String,
    pub cmd: Vec<String>,
    pub env: Vec<(String, Secret)>,
    pub labels: BTreeMap<String, String>,
    /// The other top-level create fields, as rendered (`User`, `WorkingDir`, `Entrypoint`, …).
    pub config: Map<String, Value>,
    /// `HostConfig` as rendered: limits, hardening, `Binds`, `Devices`, `DeviceRequests`,
    /// `RestartPolicy`, …
    pub host_config: Map<String, Value>,
}

/// Top-level keys of Docker's create body (`ContainerConfig` plus `HostConfig` and
/// `NetworkingConfig`), API 1.41–1.52. Anything else would be ignored by dockerd; a key newer
/// than the version spoken is refused by `keys.rs`.
const CONFIG_KEYS: &[&str] = &[
    "Hostname",
    "Domainname",
    "User",
    "AttachStdin",
    "AttachStdout",
    "AttachStderr",
    "ExposedPorts",
    "Tty",
    "OpenStdin",
    "StdinOnce",
    "Env",
    "Cmd",
    "Healthcheck",
    "ArgsEscaped",
    "Image",
    "Volumes",
    "WorkingDir",
    "Entrypoint",
    "NetworkDisabled",
    "MacAddress",
    "OnBuild",
    "Labels",
    "StopSignal",
    "StopTimeout",
    "Shell",
    "HostConfig",
    "NetworkingConfig",
];

/// Keys of Docker's `HostConfig`, API 1.41–1.52 (`keys.rs` says which came after 1.41),
/// except `ContainerIDFile` (a `docker` CLI file, not a daemon setting).
const HOST_CONFIG_KEYS: &[&str] = &[
    "CpuShares",
    "Memory",
    "CgroupParent",
    "BlkioWeight",
    "BlkioWeightDevice",
    "BlkioDeviceReadBps",
    "BlkioDeviceWriteBps",
    "BlkioDeviceReadIOps",
    "BlkioDeviceWriteIOps",
    "CpuPeriod",
    "CpuQuota",
    "CpuRealtimePeriod",
    "CpuRealtimeRuntime",
    "CpusetCpus",
    "CpusetMems",
    "Devices",
    "DeviceCgroupRules",
    "DeviceRequests",
    "KernelMemoryTCP",
    "MemoryReservation",
    "MemorySwap",
    "MemorySwappiness",
    "NanoCpus",
    "OomKillDisable",
    "Init",
    "PidsLimit",
    "Ulimits",
    "CpuCount",
    "CpuPercent",
    "IOMaximumIOps",
    "IOMaximumBandwidth",
    "Binds",
    "LogConfig",
    "NetworkMode",
    "PortBindings",
    "RestartPolicy",
    "AutoRemove",
    "VolumeDriver",
    "VolumesFrom",
    "Mounts",
    "ConsoleSize",
    "Annotations",
    "CapAdd",
    "CapDrop",
    "CgroupnsMode",
    "Dns",
    "DnsOptions",
    "DnsSearch",
    "ExtraHosts",
    "GroupAdd",
    "IpcMode",
    "Cgroup",
    "Links",
    "OomScoreAdj",
    "PidMode",
    "Privileged",
    "PublishAllPorts",
    "ReadonlyRootfs",
    "SecurityOpt",
    "StorageOpt",
    "Tmpfs",
    "UTSMode",
    "UsernsMode",
    "ShmSize",
    "Sysctls",
    "Runtime",
    "Isolation",
    "MaskedPaths",
    "ReadonlyPaths",
];

impl ContainerSpec {
    /// A rendered JSON container spec (`{Image, Cmd, Env: {NAME: value}, Labels, HostConfig,
    /// …}`, Docker's create body except that `Env` may be an object). Every key is passed
    /// on; a key Docker's create does not know, or a value of the wrong shape, is an error
    /// rather than silently dropped.
    pub fn from_json(text: &str) -> Result<ContainerSpec, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let Value::Object(mut config) = v else {
            return Err("not a JSON object".into());
        };
        for key in config.keys() {
            if key.eq_ignore_ascii_case("name") {
                return Err(format!(
                    "{key}: the container name is devicepool's (devicepool-<pool>-r<runner id>)"
                ));
            }
            if !CONFIG_KEYS.contains(&key.as_str()) {
                return Err(format!(
                    "{key}: not a field of Docker's container create body (keys are case-sensitive; host settings go in HostConfig)"
                ));
            }
        }
        let image = match config.remove("Image") {
            Some(Value::String(image)) if !image.is_empty() => image,
            _ => return Err("Image is missing or not a string".into()),
        };
        let cmd = match config.remove("Cmd") {
            None | Some(Value::Null) => Vec::new(),
            Some(v) => strings(&v).ok_or("Cmd is not a list of strings")?,
        };
        let env = match config.remove("Env") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(o)) => o
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(v) => Ok((k, Secret::new(v))),
                    _ => Err(format!("Env {k} is not a string")),
                })
                .collect::<Result<_, _>>()?,
            Some(v) => strings(&v)
                .and_then(|a| {
                    a.into_iter()
                        .map(|kv| {
                            kv.split_once('=')
                                .map(|(k, v)| (k.to_string(), Secret::new(v)))
                        })
                        .collect()
                })
                .ok_or("Env is neither an object of strings nor a list of NAME=value")?,
        };
        let labels = match config.remove("Labels") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(o)) => o
                .into_iter()
                .map(|(k, v)| match v {
                    Value::String(v) => Ok((k, v)),
                    _ => Err(format!("label {k} is not a string")),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("Labels is not an object".into()),
        };
        let host_config = match config.remove("HostConfig") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(o)) => o,
            Some(_) => return Err("HostConfig is not an object".into()),
        };
        if let Some(key) = host_config
            .keys()
            .find(|k| !HOST_CONFIG_KEYS.contains(&k.as_str()))
        {
            return Err(format!(
                "HostConfig.{key}: not a host setting devicepool can pass to Docker's create"
            ));
        }
        Ok(ContainerSpec {
            image,
            cmd,
            env,
            labels,
            config,
            host_config,
        })
    }
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn refusal(writer: &Writer, m: &Mutation<'_>, answer: &Answer) -> ApiError {
    writer.refused(m, answer, &server_message(&answer.body))
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
    let mut body = spec.config.clone();
    body.insert("Image".into(), json!(spec.image));
    if !spec.cmd.is_empty() {
        body.insert("Cmd".into(), json!(spec.cmd));
    }
    body.insert("Env".into(), json!(env));
    body.insert("Labels".into(), json!(spec.labels));
    body.insert("HostConfig".into(), Value::Object(spec.host_config.clone()));
    let body = Value::Object(body);
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
    decode_created_container(&answer.body).map_err(|e| writer.fail(&m, Failure::Decode(e)))
}

/// The 201 body of `POST /containers/create` → the new container's id.
pub(crate) fn decode_created_container(body: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| e.to_string())?;
    match v["Id"].as_str() {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err("201 answer without an Id".into()),
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
        // Only the daemon's own "no such container": a 404 route (wrong base) is an error.
        404 if no_such_container(&server_message(&answer.body)) => Ok(Removal::AlreadyGone),
        _ => Err(refusal(writer, &m, &answer)),
    }
}

/// dockerd's `No such container: <id>`, or Podman's `no container with name or ID "<id>"
/// found: no such container` (libpod's `ErrNoSuchCtr` wrapped; seen from Podman 4.3.1).
fn no_such_container(message: &str) -> bool {
    message.starts_with("No such container") || message.ends_with(": no such container")
}

#[cfg(test)]
#[path = "write_tests.rs"]
mod tests;
