//! The HTTP side of the fake MAAS: OAuth 1.0a PLAINTEXT validation, the machines listing with
//! its filters (tags AND, hostname/id/status OR), single machines and the anonymous version.
//! Errors are text/plain except field-validation dicts, as in MAAS.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::http::{Api, Request, Response, percent_decode};
use super::maas::{SIM_MAAS_API_KEY, STATUSES, SimMachine, State, lock};

const API: &str = "/MAAS/api/2.0/";
/// The parameters MAAS requires in every OAuth header.
const REQUIRED: [&str; 6] = [
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature",
    "oauth_signature_method",
    "oauth_timestamp",
    "oauth_nonce",
];

pub(super) struct Handler(pub(super) Arc<Mutex<State>>);

impl Api for Handler {
    fn error(&self, status: u16, _req: &Request) -> Response {
        let text = match status {
            400 => "Bad Request",
            401 => "Authorization Required",
            403 => "Forbidden",
            404 => "Not Found",
            409 => "Conflict",
            500 => "Internal Server Error",
            502 => "Bad Gateway",
            503 => "Service Unavailable",
            _ => "Error",
        };
        Response::text(status, text)
    }

    fn handle(&self, req: &Request) -> Response {
        let Some(route) = req.path.strip_prefix(API) else {
            return Response::text(404, "Not Found");
        };
        if req.method == "GET" && route == "version/" {
            return Response::json(
                200,
                &json!({"capabilities": ["networks-management", "static-ipaddresses"],
                    "version": "3.5.0", "subversion": ""}),
            );
        }
        let mut state = lock(&self.0);
        if let Err(denied) = authenticate(req, &mut state) {
            return denied;
        }
        match (req.method.as_str(), route) {
            ("GET", "machines/") => list_machines(&state, req),
            ("GET", r) if r.starts_with("machines/") && r.ends_with('/') => {
                let id = &r["machines/".len()..r.len() - 1];
                match state.machines.iter().find(|m| m.system_id == id) {
                    Some(m) => Response::json(200, &machine_json(m)),
                    None => Response::text(404, "No Machine matches the given query."),
                }
            }
            _ => Response::text(404, "Not Found"),
        }
    }
}

fn unauthorized(body: &str) -> Response {
    Response::text(401, body).with_header("WWW-Authenticate", "OAuth realm=\"OAuth\"")
}

/// How far `oauth_timestamp` may be from the server's clock, in seconds (python-oauth's
/// `timestamp_threshold`, which MAAS's piston uses).
const TIMESTAMP_THRESHOLD: i64 = 300;

/// Checks the `Authorization: OAuth ...` header the way MAAS does for a PLAINTEXT key,
/// including the timestamp window and nonce reuse (each nonce once per token).
fn authenticate(req: &Request, state: &mut State) -> Result<(), Response> {
    let Some(params) = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("OAuth "))
        .map(parse_oauth)
    else {
        return Err(unauthorized("Authorization Required"));
    };
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let missing: Vec<&str> = REQUIRED.into_iter().filter(|k| get(k).is_none()).collect();
    if !missing.is_empty() {
        let text = format!("Missing OAuth parameter(s): {}", missing.join(", "));
        return Err(Response::text(400, &text));
    }
    let mut key = SIM_MAAS_API_KEY.splitn(3, ':');
    let (consumer, token, secret) = (key.next(), key.next(), key.next());
    if get("oauth_consumer_key") != consumer || get("oauth_token") != token {
        return Err(unauthorized("Authorization Error: Invalid API key."));
    }
    if let Some(v) = get("oauth_version").filter(|v| *v != "1.0") {
        return Err(unauthorized(&format!(
            "Authorization Error: 'OAuth version {v} not supported.'"
        )));
    }
    let method = get("oauth_signature_method").unwrap_or_default();
    if method != "PLAINTEXT" {
        return Err(unauthorized(&format!(
            "Authorization Error: 'Signature method {method} not supported.'"
        )));
    }
    let Some(timestamp) = get("oauth_timestamp").and_then(|t| t.parse::<i64>().ok()) else {
        return Err(unauthorized("Authorization Error: 'Invalid timestamp.'"));
    };
    // The wall clock, never a simulated one: OAuth timestamps are real time.
    let now = jiff::Timestamp::now().as_second();
    if (now - timestamp).abs() > TIMESTAMP_THRESHOLD {
        return Err(unauthorized(&format!(
            "Authorization Error: 'Expired timestamp: given {timestamp} and now {now} has a greater difference than threshold {TIMESTAMP_THRESHOLD}'"
        )));
    }
    // PLAINTEXT: `encode(consumer_secret) & encode(token_secret)`, the consumer secret empty;
    // compared decoded (MAAS token secrets are alphanumeric, so encoding changes nothing).
    let expected = format!("&{}", secret.unwrap_or_default());
    if get("oauth_signature").map(percent_decode).as_deref() != Some(expected.as_str()) {
        return Err(unauthorized("Authorization Error: 'Invalid signature.'"));
    }
    let nonce = get("oauth_nonce").unwrap_or_default().to_string();
    if !state
        .nonces
        .insert((token.unwrap_or_default().to_string(), nonce.clone()))
    {
        return Err(unauthorized(&format!(
            "Authorization Error: 'Nonce already used: {nonce}'"
        )));
    }
    Ok(())
}

/// `k="v", k2="v2"` → decoded pairs. Unquoted values are taken as they are.
fn parse_oauth(raw: &str) -> Vec<(String, String)> {
    raw.split(',')
        .filter_map(|part| {
            let (k, v) = part.trim().split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            Some((percent_decode(k.trim()), percent_decode(v)))
        })
        .collect()
}

/// All values of a repeatable filter; `split` also splits each value on commas and spaces.
fn values(req: &Request, name: &str, split: bool) -> Vec<String> {
    req.query_pairs()
        .into_iter()
        .filter(|(k, _)| k == name)
        .flat_map(|(_, v)| {
            if split {
                v.split([',', ' '])
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            } else {
                vec![v]
            }
        })
        .collect()
}

fn field_error(field: &str, message: String) -> Response {
    Response::json(400, &json!({ field: [message] }))
}

fn list_machines(state: &State, req: &Request) -> Response {
    let (tags, not_tags) = (values(req, "tags", true), values(req, "not_tags", true));
    for (field, names) in [("tags", &tags), ("not_tags", &not_tags)] {
        let unknown: Vec<String> = names
            .iter()
            .filter(|t| !state.tags.contains(*t))
            .map(|t| format!("'{t}'"))
            .collect();
        if !unknown.is_empty() {
            let message = format!("No such tag(s): {}.", unknown.join(", "));
            return field_error(field, message);
        }
    }
    let statuses = values(req, "status", false);
    if let Some(bad) = statuses
        .iter()
        .find(|s| !STATUSES.iter().any(|(_, _, short)| short == s))
    {
        let message = format!("Select a valid choice. {bad} is not one of the available choices.");
        return field_error("status", message);
    }
    let (hostnames, ids) = (values(req, "hostname", false), values(req, "id", false));
    let (zones, pools) = (values(req, "zone", false), values(req, "pool", false));
    let any_of =
        |wanted: &[String], have: &str| wanted.is_empty() || wanted.iter().any(|w| w == have);
    let listed: Vec<Value> = state
        .machines
        .iter()
        .filter(|m| tags.iter().all(|t| m.tags.contains(t)))
        .filter(|m| !not_tags.iter().any(|t| m.tags.contains(t)))
        .filter(|m| any_of(&hostnames, &m.hostname) && any_of(&ids, &m.system_id))
        .filter(|m| any_of(&statuses, STATUSES[usize::from(m.status)].2))
        .filter(|m| any_of(&zones, &m.zone) && any_of(&pools, &m.pool))
        .map(machine_json)
        .collect();
    Response::json(200, &Value::Array(listed))
}

fn named(id: u64, name: &str, kind: &str) -> Value {
    json!({"id": id, "name": name, "description": "",
        "resource_uri": format!("{API}{kind}/{id}/")})
}

fn machine_json(m: &SimMachine) -> Value {
    let (_, status_name, short) = STATUSES[usize::from(m.status)];
    let deployed = matches!(short, "deployed" | "deploying");
    json!({
        "system_id": m.system_id,
        "hostname": m.hostname,
        "fqdn": format!("{}.maas", m.hostname),
        "domain": {"id": 0, "name": "maas", "authoritative": true, "ttl": null,
            "resource_record_count": 0, "is_default": true,
            "resource_uri": format!("{API}domains/0/")},
        "description": "",
        "status": m.status,
        "status_name": status_name,
        "status_message": if deployed { json!("Deployed") } else { Value::Null },
        "status_action": "",
        "tag_names": m.tags,
        "owner": if deployed { json!("sim-admin") } else { Value::Null },
        "locked": false,
        "power_type": "ipmi",
        "power_state": if deployed { "on" } else { "off" },
        "architecture": "amd64/generic",
        "osystem": if deployed { "ubuntu" } else { "" },
        "distro_series": if deployed { "noble" } else { "" },
        "cpu_count": 8,
        "memory": 16384,
        "storage": 512000.0,
        "ip_addresses": [],
        "zone": named(1, &m.zone, "zones"),
        "pool": named(0, &m.pool, "resourcepool"),
        "node_type": 0,
        "node_type_name": "Machine",
        "hardware_uuid": format!("00000000-0000-4000-8000-{:012x}", m.id),
        "error_description": "",
        "netboot": !deployed,
        "commissioning_status": 2,
        "commissioning_status_name": "Passed",
        "testing_status": 2,
        "testing_status_name": "Passed",
        "resource_uri": format!("{API}machines/{}/", m.system_id),
    })
}
