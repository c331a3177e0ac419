//! The HTTP side of the fake Docker daemon: `/v1.NN/` version prefixes checked against the
//! daemon's configured range (or none: its newest), `/_ping`, `/version`, and containers
//! (list, create, start, remove) with dockerd's status codes and JSON `{"message"}` errors.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::docker::{SimContainer, State, lock, normalise_image};
use super::docker_filters::Filters;
use super::http::{Api, Request, Response};

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

/// The routes the fake serves, each with and without a `/v{version}` prefix.
enum Route<'a> {
    Ping,
    Version,
    List,
    Create,
    Start(&'a str),
    Remove(&'a str),
}

impl<'a> Route<'a> {
    fn of(method: &str, path: &'a str) -> Option<Route<'a>> {
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        Some(match (method, segments.as_slice()) {
            ("GET" | "HEAD", ["_ping"]) => Route::Ping,
            ("GET", ["version"]) => Route::Version,
            ("GET", ["containers", "json"]) => Route::List,
            ("POST", ["containers", "create"]) => Route::Create,
            ("POST", ["containers", id, "start"]) => Route::Start(id),
            ("DELETE", ["containers", id]) => Route::Remove(id),
            _ => return None,
        })
    }
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
        let mut state = lock(&self.0);
        let (min, newest) = state.api_versions.clone();
        let (version, path) = split_version(&req.path);
        // Unknown routes are answered by the router's not-found handler, before (and
        // without) the version middleware.
        let Some(route) = Route::of(&req.method, path) else {
            return message(404, "page not found");
        };
        // daemon/server/middleware/version.go: an unversioned path means the daemon's own
        // (newest) version; outside [min, newest] is a 400 naming the bound.
        let requested = version.unwrap_or(&newest);
        let refusal = if compare(requested, &min) == Ordering::Less {
            Some(format!(
                "client version {requested} is too old. Minimum supported API version is {min}, please upgrade your client to a newer version"
            ))
        } else if compare(requested, &newest) == Ordering::Greater {
            Some(format!(
                "client version {requested} is too new. Maximum supported API version is {newest}"
            ))
        } else {
            None
        };
        let response = match refusal {
            // daemon/server/server.go: below 1.24 the error is plain text, not JSON.
            Some(text) if compare(requested, "1.24") == Ordering::Less => {
                Response::text(400, &format!("{text}\n"))
                    .with_header("X-Content-Type-Options", "nosniff")
            }
            Some(text) => message(400, &text),
            None => serve(&mut state, req, route, &newest, &min),
        };
        response
            .with_header("Server", &format!("Docker/{ENGINE_VERSION} (linux)"))
            .with_header("Api-Version", &newest)
            .with_header("Ostype", "linux")
    }
}

/// The Docker Engine release the fake claims to be.
const ENGINE_VERSION: &str = "29.0.0-sim";

fn serve(state: &mut State, req: &Request, route: Route<'_>, newest: &str, min: &str) -> Response {
    match route {
        Route::Ping => Response::text(200, "OK")
            .with_header("Builder-Version", "2")
            .with_header("Docker-Experimental", "false")
            .with_header("Swarm", "inactive")
            .with_header("Cache-Control", "no-cache, no-store, must-revalidate")
            .with_header("Pragma", "no-cache"),
        Route::Version => Response::json(
            200,
            &json!({
                "Platform": {"Name": "Docker Engine - Community"},
                "Components": [{"Name": "Engine", "Version": ENGINE_VERSION,
                    "Details": {"ApiVersion": newest, "MinAPIVersion": min, "Os": "linux", "Arch": "amd64"}}],
                "Version": ENGINE_VERSION, "ApiVersion": newest, "MinAPIVersion": min,
                "GitCommit": "0000000", "GoVersion": "go1.24.9", "Os": "linux", "Arch": "amd64",
                "KernelVersion": "6.8.0", "BuildTime": "2025-11-01T00:00:00.000000000+00:00",
            }),
        ),
        Route::List => list(state, req),
        Route::Create => create(state, req, newest),
        Route::Start(id) => match find(state, id) {
            Err(resp) => resp,
            Ok(i) if state.containers[i].is_running() => empty(304),
            Ok(i) => {
                state.containers[i].state = "running".into();
                if let Some(hook) = &state.on_start {
                    hook(&state.containers[i]);
                }
                empty(204)
            }
        },
        Route::Remove(id) => match find(state, id) {
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
    }
}

/// `/v1.45/x` → (`Some("1.45")`, `/x`); paths without a `/v[0-9.]+/` prefix pass whole.
fn split_version(path: &str) -> (Option<&str>, &str) {
    let Some(rest) = path.strip_prefix("/v") else {
        return (None, path);
    };
    match rest.split_once('/') {
        Some((v, _)) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit() || b == b'.') => {
            (Some(v), &rest[v.len()..])
        }
        _ => (None, path),
    }
}

/// moby's `versions.compare`: dot-separated numbers, a missing or unparsable part is 0.
fn compare(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (
            a.get(i).copied().unwrap_or(0),
            b.get(i).copied().unwrap_or(0),
        );
        if x != y {
            return x.cmp(&y);
        }
    }
    Ordering::Equal
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

fn create(state: &mut State, req: &Request, newest: &str) -> Response {
    let Ok(mut body) = serde_json::from_slice::<Value>(&req.body) else {
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
    // A daemon older than API 1.43 (Docker 20.10, Podman 4) has no `HostConfig.Annotations`:
    // Go's JSON decoding drops the unknown key without a word, and the container has none.
    if compare(newest, "1.43") == Ordering::Less
        && let Some(host_config) = body["HostConfig"].as_object_mut()
    {
        host_config.remove("Annotations");
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
