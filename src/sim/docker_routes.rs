//! The HTTP side of the fake Docker daemon: `/v1.NN/` version prefixes (1.24..=1.56) or none,
//! `/_ping`, `/version`, and containers (list, create, start, remove) with dockerd's status
//! codes and JSON `{"message"}` errors.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::docker::{SimContainer, State, lock, normalise_image};
use super::docker_filters::Filters;
use super::http::{Api, Request, Response};

/// API versions the fake daemon accepts, as (major, minor).
const MIN_VERSION: (u32, u32) = (1, 24);
const MAX_VERSION: (u32, u32) = (1, 56);

pub(super) struct Handler(pub(super) Arc<Mutex<State>>);

fn message(status: u16, text: &str) -> Response {
    Response::json(status, &json!({ "message": text }))
}

fn empty(status: u16) -> Response {
    Response {
        status,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn no_such(id: &str) -> Response {
    message(404, &format!("No such container: {id}"))
}

/// dockerd's boolean query values: anything but "", "0", "no", "false", "none" is true.
fn truthy(v: Option<String>) -> bool {
    v.is_some_and(|v| {
        !matches!(
            v.to_ascii_lowercase().as_str(),
            "" | "0" | "no" | "false" | "none"
        )
    })
}

impl Api for Handler {
    fn error(&self, status: u16, _req: &Request) -> Response {
        let text = match status {
            400 => "bad parameter",
            404 => "page not found",
            409 => "conflict",
            _ => "Internal Server Error",
        };
        message(status, text)
    }

    fn handle(&self, req: &Request) -> Response {
        let path = match strip_version(&req.path) {
            Ok(path) => path,
            Err(resp) => return resp,
        };
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let mut state = lock(&self.0);
        match (req.method.as_str(), segments.as_slice()) {
            ("GET" | "HEAD", ["_ping"]) => Response::text(200, "OK")
                .with_header("Api-Version", "1.56")
                .with_header("OSType", "linux")
                .with_header("Docker-Experimental", "false")
                .with_header("Builder-Version", "2")
                .with_header("Cache-Control", "no-cache, no-store, must-revalidate"),
            ("GET", ["version"]) => Response::json(
                200,
                &json!({"Version": "29.0.0-sim", "ApiVersion": "1.56", "MinAPIVersion": "1.24",
                    "Os": "linux", "Arch": "amd64", "KernelVersion": "6.8.0"}),
            ),
            ("GET", ["containers", "json"]) => list(&state, req),
            ("POST", ["containers", "create"]) => create(&mut state, req),
            ("POST", ["containers", id, "start"]) => match find(&state, id) {
                Err(resp) => resp,
                Ok(i) if state.containers[i].is_running() => empty(304),
                Ok(i) => {
                    state.containers[i].state = "running".into();
                    empty(204)
                }
            },
            ("DELETE", ["containers", id]) => match find(&state, id) {
                Err(resp) => resp,
                Ok(i) if state.containers[i].is_running() && !truthy(req.query_param("force")) => {
                    let c = &state.containers[i];
                    message(
                        409,
                        &format!(
                            "cannot remove container \"/{}\": container is running: stop the container before removing or force remove",
                            c.name
                        ),
                    )
                }
                Ok(i) => {
                    state.containers.remove(i);
                    empty(204)
                }
            },
            _ => message(404, "page not found"),
        }
    }
}

/// `/v1.45/x` → `/x` when 1.45 is supported; unversioned paths pass as they are.
fn strip_version(path: &str) -> Result<&str, Response> {
    let Some(rest) = path
        .strip_prefix("/v")
        .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
    else {
        return Ok(path); // unversioned (`/version` included)
    };
    let (version, tail) = rest.split_once('/').map_or((rest, ""), |(v, t)| (v, t));
    let parsed = version
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
    let Some(v) = parsed else {
        // Not a version segment: no such route.
        return Err(message(404, "page not found"));
    };
    if v > MAX_VERSION {
        let text =
            format!("client version {version} is too new. Maximum supported API version is 1.56");
        return Err(message(400, &text));
    }
    if v < MIN_VERSION {
        let text = format!(
            "client version {version} is too old. Minimum supported API version is 1.24, please upgrade your client to a newer version"
        );
        return Err(message(400, &text));
    }
    Ok(if tail.is_empty() {
        "/"
    } else {
        &path[path.len() - tail.len() - 1..]
    })
}

/// Finds a container by full id, exact name (with or without `/`) or unique id prefix.
fn find(state: &State, key: &str) -> Result<usize, Response> {
    let cs = &state.containers;
    if let Some(i) = cs.iter().position(|c| c.id == key) {
        return Ok(i);
    }
    if let Some(i) = cs
        .iter()
        .position(|c| c.name == key.trim_start_matches('/'))
    {
        return Ok(i);
    }
    let matches: Vec<usize> = (0..cs.len())
        .filter(|&i| !key.is_empty() && cs[i].id.starts_with(key))
        .collect();
    match matches.as_slice() {
        [i] => Ok(*i),
        [] => Err(no_such(key)),
        _ => Err(message(
            400,
            &format!("multiple IDs found with provided prefix: {key}"),
        )),
    }
}

fn status_text(c: &SimContainer) -> String {
    match c.state.as_str() {
        "running" => "Up 2 minutes".into(),
        "paused" => "Up 2 minutes (Paused)".into(),
        "restarting" => "Restarting (1) 5 seconds ago".into(),
        "exited" => "Exited (0) 1 minute ago".into(),
        "created" => "Created".into(),
        "dead" => "Dead".into(),
        other => other.into(),
    }
}

fn list(state: &State, req: &Request) -> Response {
    let filters = match Filters::parse(&req.query_param("filters").unwrap_or_default()) {
        Ok(f) => f,
        Err(text) => return message(400, &text),
    };
    let all = truthy(req.query_param("all")) || filters.has("status");
    let mut listed: Vec<&SimContainer> = state
        .containers
        .iter()
        .filter(|c| all || c.is_running())
        .filter(|c| filters.admit(c))
        .collect();
    listed.sort_by_key(|c| std::cmp::Reverse(c.created));
    let rows: Vec<Value> = listed
        .into_iter()
        .map(|c| {
            let network = c.host_config["NetworkMode"].as_str().unwrap_or("bridge");
            json!({
                "Id": c.id, "Names": [format!("/{}", c.name)], "Image": c.image,
                "ImageID": format!("sha256:{}", &c.id.chars().rev().collect::<String>()),
                "Command": c.cmd.join(" "), "Created": c.created, "Ports": [],
                "Labels": c.labels, "State": c.state, "Status": status_text(c),
                "HostConfig": {"NetworkMode": network},
                "NetworkSettings": {"Networks": {network: {"NetworkID": ""}}}, "Mounts": [],
            })
        })
        .collect();
    Response::json(200, &Value::Array(rows))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn create(state: &mut State, req: &Request) -> Response {
    let Ok(body) = serde_json::from_slice::<Value>(&req.body) else {
        return message(400, "config cannot be empty in order to create a container");
    };
    let name = req.query_param("name").unwrap_or_default();
    let name = name.trim_start_matches('/').to_string();
    let valid = |n: &str| {
        let mut chars = n.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
            && n.len() >= 2
            && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
    };
    if !name.is_empty() && !valid(&name) {
        let text =
            format!("Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed");
        return message(400, &text);
    }
    if let Some(other) = state
        .containers
        .iter()
        .find(|c| !name.is_empty() && c.name == name)
    {
        let text = format!(
            "Conflict. The container name \"/{name}\" is already in use by container \"{}\". You have to remove (or rename) that container to be able to reuse that name.",
            other.id
        );
        return message(409, &text);
    }
    let image = body["Image"].as_str().unwrap_or_default().to_string();
    if image.is_empty() {
        return message(400, "invalid reference format");
    }
    if !state.images.contains(&normalise_image(&image)) {
        return message(404, &format!("No such image: {image}"));
    }
    let (id, created) = state.next_id();
    let labels: BTreeMap<String, String> = body["Labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let name = if name.is_empty() {
        format!("sim_container_{}", &id[..8])
    } else {
        name
    };
    state.containers.push(SimContainer {
        id: id.clone(),
        name,
        image,
        labels,
        state: "created".into(),
        created,
        cmd: strings(&body["Cmd"]),
        env: strings(&body["Env"]),
        host_config: body["HostConfig"].clone(),
    });
    Response::json(201, &json!({"Id": id, "Warnings": []}))
}
