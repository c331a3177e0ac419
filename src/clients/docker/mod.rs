//! Docker Engine reads: where the daemon is (`DOCKER_HOST` as `unix:///path` or
//! `tcp://host:port`), a `Reader` that reaches it, and our containers by label
//! (`GET /v1.NN/containers/json?all=true&filters=...`, the version negotiated by
//! `version.rs`). Container create, start and remove are in `write.rs`; nothing in this file
//! mutates.
//! The body decoder (`decode_containers`) is the very mapping the fetch uses, so
//! `clients::decode` can fuzz it without a server.

pub mod connect;
pub mod keys;
pub mod version;
pub mod write;

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http::{ApiError, Get, Reader};
use crate::load::HttpSettings;
use crate::secret::Redactor;

const API: &str = "docker";

/// Where the Docker daemon listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerHost {
    /// `unix:///var/run/docker.sock`
    Unix(PathBuf),
    /// `tcp://host:2375` (plain HTTP; TLS on 2376 is not supported).
    Tcp(String),
}

impl DockerHost {
    /// Parses a `DOCKER_HOST` value.
    pub fn parse(raw: &str) -> Result<DockerHost, String> {
        if let Some(path) = raw.strip_prefix("unix://") {
            if !path.starts_with('/') {
                return Err(format!("{raw:?}: a unix socket path must be absolute"));
            }
            return Ok(DockerHost::Unix(PathBuf::from(path)));
        }
        if let Some(authority) = raw.strip_prefix("tcp://") {
            let authority = authority.trim_end_matches('/');
            if authority.is_empty() || authority.contains('/') {
                return Err(format!("{raw:?}: expected tcp://host:port"));
            }
            let with_port = if authority
                .rsplit_once(':')
                .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
            {
                authority.to_string()
            } else {
                format!("{authority}:2375")
            };
            return Ok(DockerHost::Tcp(with_port));
        }
        Err(format!(
            "{raw:?}: DOCKER_HOST must be unix:///path or tcp://host:port"
        ))
    }

    /// The base URL requests are made against (`http://localhost` on a socket).
    pub fn base_url(&self) -> String {
        match self {
            DockerHost::Unix(_) => "http://localhost".into(),
            DockerHost::Tcp(authority) => format!("http://{authority}"),
        }
    }

    /// A reader that reaches this daemon.
    pub fn reader(&self, settings: &HttpSettings, redactor: Redactor) -> Reader {
        match self {
            DockerHost::Unix(path) => Reader::for_unix_socket(settings, redactor, path),
            DockerHost::Tcp(_) => Reader::new(settings, redactor),
        }
    }
}

/// `versioned_base` (`http://localhost/v1.52`, from `docker_version::negotiate`) + `path`.
pub fn api_url(versioned_base: &str, path: &str) -> String {
    format!("{}{path}", versioned_base.trim_end_matches('/'))
}

#[derive(Deserialize)]
struct WireContainer {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "Names", default)]
    names: Vec<String>,
    #[serde(rename = "Image", default)]
    image: String,
    #[serde(rename = "State", default)]
    state: String,
    #[serde(rename = "Status", default)]
    status: String,
    #[serde(rename = "Labels", default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(rename = "Created", default)]
    created: i64,
}

/// Every container (running or not) carrying ALL `labels` (`key=value` pairs).
pub fn fetch_containers(
    reader: &Reader,
    versioned_base: &str,
    labels: &[(&str, &str)],
) -> Result<Vec<DockerContainer>, ApiError> {
    let wanted: serde_json::Map<String, serde_json::Value> = labels
        .iter()
        .map(|(k, v)| (format!("{k}={v}"), serde_json::Value::Bool(true)))
        .collect();
    let mut query = vec![("all", "true".to_string())];
    if !wanted.is_empty() {
        query.push((
            "filters",
            serde_json::json!({ "label": wanted }).to_string(),
        ));
    }
    let wire: Vec<WireContainer> = reader.get_json(&Get {
        api: API,
        url: api_url(versioned_base, "/containers/json"),
        query,
        authorization: None,
    })?;
    Ok(containers_from_wire(wire))
}

/// Decodes a `/containers/json` body exactly as `fetch_containers` does.
pub(crate) fn decode_containers(body: &str) -> Result<Vec<DockerContainer>, String> {
    let wire: Vec<WireContainer> = serde_json::from_str(body).map_err(|e| e.to_string())?;
    Ok(containers_from_wire(wire))
}

/// Containers as listed; `name` is the first name without Docker's leading `/` (empty when
/// the daemon sends none), missing `Labels` are no labels.
fn containers_from_wire(wire: Vec<WireContainer>) -> Vec<DockerContainer> {
    wire.into_iter()
        .map(|c| DockerContainer {
            name: c
                .names
                .first()
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            id: c.id,
            image: c.image,
            state: c.state,
            status: c.status,
            labels: c.labels.unwrap_or_default(),
            created: c.created,
        })
        .collect()
}

/// A Docker container as listed (`GET /containers/json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DockerContainer {
    pub id: String,
    /// The first name, without Docker's leading `/`.
    pub name: String,
    pub image: String,
    /// `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`.
    pub state: String,
    /// Human text such as `Up 3 hours`.
    pub status: String,
    pub labels: BTreeMap<String, String>,
    /// Unix seconds.
    pub created: i64,
}

#[cfg(test)]
mod tests;
