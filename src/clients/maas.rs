//! MAAS reads: the machines carrying a rack's tags, signed with the API key as OAuth 1.0a
//! PLAINTEXT. Read-only; wire types stay private here; the key never leaves a `Secret`.
//! Every attempt is signed afresh: a random nonce and the wall-clock timestamp (MAAS refuses a
//! nonce twice and a timestamp more than 300 s off). `authorization` takes both as arguments
//! so the header is testable exactly. The body
//! decoder (`decode_machines`) is the very mapping the fetch uses, so `clients::decode` can
//! fuzz it without a server.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http::{ApiError, Failure, Get, Reader, encode_component};
use crate::secret::Secret;

const API: &str = "maas";

#[derive(Deserialize)]
struct WireMachine {
    hostname: String,
    system_id: String,
    status: u8,
    status_name: String,
    #[serde(default)]
    tag_names: Vec<String>,
    #[serde(default)]
    zone: Option<Named>,
    #[serde(default)]
    pool: Option<Named>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

/// The `Authorization` value for a MAAS API key (`consumer_key:token_key:token_secret`):
/// OAuth 1.0a, PLAINTEXT, empty consumer secret, so the signature is `&<token_secret>`.
/// Every value is percent-encoded, as OAuth requires (the signature shows as `%26...`).
/// `None` when the key does not have three parts.
pub fn authorization(api_key: &Secret, timestamp: i64, nonce: &str) -> Option<Secret> {
    let mut parts = api_key.expose().splitn(3, ':');
    let (consumer, token, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let signature = format!("&{}", encode_component(secret));
    let params = [
        ("oauth_version", "1.0"),
        ("oauth_signature_method", "PLAINTEXT"),
        ("oauth_consumer_key", consumer),
        ("oauth_token", token),
        ("oauth_signature", &signature),
        ("oauth_nonce", nonce),
        ("oauth_timestamp", &timestamp.to_string()),
    ]
    .map(|(k, v)| format!("{k}=\"{}\"", encode_component(v)));
    Some(Secret::new(format!("OAuth {}", params.join(", "))))
}

/// `GET <base>/api/2.0/machines/?tags=a&tags=b`: the machines carrying **all** `tags`, in
/// MAAS's order (by id). `base_url` is the MAAS URL, e.g. `https://maas.example/MAAS/`.
/// A machine without one of the tags means the filter was ignored: an error, not a fleet.
pub fn fetch_machines(
    reader: &Reader,
    base_url: &str,
    api_key: &Secret,
    tags: &[String],
) -> Result<Vec<MaasMachine>, ApiError> {
    let url = format!("{}/api/2.0/machines/", base_url.trim_end_matches('/'));
    let fail = |failure| ApiError {
        api: API,
        method: "GET",
        url: url.clone(),
        failure,
    };
    if authorization(api_key, 0, "").is_none() {
        return Err(fail(Failure::Protocol(
            "the MAAS API key is not consumer_key:token_key:token_secret".into(),
        )));
    }
    let sign = || {
        let now = jiff::Timestamp::now().as_second();
        authorization(api_key, now, &fresh_nonce()).expect("the key was checked above")
    };
    let get = Get {
        api: API,
        url: url.clone(),
        query: tags.iter().map(|t| ("tags", t.clone())).collect(),
        authorization: None,
    };
    let wire: Vec<WireMachine> = reader.get_json_signed(&get, &sign)?;
    machines_from_wire(wire, tags).map_err(|message| fail(Failure::Protocol(message)))
}

/// 128 bits no other request of this process (or, with overwhelming odds, of any other) has
/// used: std's randomly keyed SipHash over a process-wide counter and the clock.
fn fresh_nonce() -> String {
    use std::hash::BuildHasher;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let state = std::collections::hash_map::RandomState::new();
    let high = state.hash_one((count, std::process::id()));
    let low = state.hash_one((count, std::time::SystemTime::now()));
    format!("{high:016x}{low:016x}")
}

/// Decodes a `machines/` body exactly as `fetch_machines` does for a request filtered by
/// `tags`: a machine lacking one of them is an error (the filter was ignored).
pub(crate) fn decode_machines(body: &str, tags: &[String]) -> Result<Vec<MaasMachine>, String> {
    let wire: Vec<WireMachine> = serde_json::from_str(body).map_err(|e| e.to_string())?;
    machines_from_wire(wire, tags)
}

fn machines_from_wire(wire: Vec<WireMachine>, tags: &[String]) -> Result<Vec<MaasMachine>, String> {
    let mut machines = Vec::with_capacity(wire.len());
    for m in wire {
        if let Some(missing) = tags.iter().find(|t| !m.tag_names.contains(t)) {
            return Err(format!(
                "machine {} lacks tag {missing:?}: the tags filter was not applied",
                m.hostname
            ));
        }
        machines.push(MaasMachine {
            hostname: m.hostname,
            system_id: m.system_id,
            status: m.status,
            status_name: m.status_name,
            tags: m.tag_names,
            zone: m.zone.map(|z| z.name).unwrap_or_default(),
            pool: m.pool.map(|p| p.name).unwrap_or_default(),
        });
    }
    Ok(machines)
}

/// A MAAS machine, as read for a rack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MaasMachine {
    pub hostname: String,
    pub system_id: String,
    /// MAAS's `status` number (4 = Ready, 6 = Deployed, ...).
    pub status: u8,
    /// MAAS's display label, e.g. `Ready`, `Failed deployment`.
    pub status_name: String,
    pub tags: Vec<String>,
    pub zone: String,
    pub pool: String,
}

#[cfg(test)]
#[path = "maas_tests.rs"]
mod tests;
