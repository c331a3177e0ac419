//! The HTTP side of the fake Kubernetes API server: `GET`, `POST` and `PUT` of
//! `/apis/coordination.k8s.io/v1/namespaces/{ns}/leases[/{name}]`, errors as `Status`
//! objects (`kind: Status`, `reason`, `code`) like the real API server.

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use super::http::{Api, Request, Response};
use super::kubernetes::{State, lock};

const PREFIX: &str = "/apis/coordination.k8s.io/v1/namespaces/";

pub(super) struct Handler(pub(super) Arc<Mutex<State>>);

/// A `Status` failure object as the API server sends it.
fn status(code: u16, reason: &str, message: &str) -> Response {
    Response::json(
        code,
        &json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "code": code,
        }),
    )
}

impl Api for Handler {
    fn error(&self, code: u16, _req: &Request) -> Response {
        let reason = match code {
            401 => "Unauthorized",
            403 => "Forbidden",
            404 => "NotFound",
            409 => "Conflict",
            429 => "TooManyRequests",
            500 => "InternalError",
            503 => "ServiceUnavailable",
            _ => "Unknown",
        };
        status(code, reason, reason)
    }

    fn handle(&self, req: &Request) -> Response {
        let mut state = lock(&self.0);
        let bearer = format!("Bearer {}", state.token);
        if req.header("authorization") != Some(bearer.as_str()) {
            return status(401, "Unauthorized", "Unauthorized");
        }
        let Some(rest) = req.path.strip_prefix(PREFIX) else {
            return status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            );
        };
        let parts: Vec<&str> = rest.split('/').collect();
        let (namespace, name) = match parts.as_slice() {
            [ns, "leases"] => (ns.to_string(), None),
            [ns, "leases", name] => (ns.to_string(), Some(name.to_string())),
            _ => {
                return status(
                    404,
                    "NotFound",
                    "the server could not find the requested resource",
                );
            }
        };
        let verb = match (req.method.as_str(), &name) {
            ("GET", Some(_)) => "get",
            ("POST", None) => "create",
            ("PUT", Some(_)) => "update",
            _ => {
                return status(
                    405,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                );
            }
        };
        if !state.allowed.contains(verb) {
            let shown = name.as_deref().unwrap_or("");
            return status(
                403,
                "Forbidden",
                &format!(
                    "leases.coordination.k8s.io \"{shown}\" is forbidden: User \"system:serviceaccount:{namespace}:devicepool\" cannot {verb} resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"{namespace}\""
                ),
            );
        }
        let not_found = |name: &str| {
            status(
                404,
                "NotFound",
                &format!("leases.coordination.k8s.io \"{name}\" not found"),
            )
        };
        match (verb, name) {
            ("get", Some(name)) => match state.leases.get(&(namespace, name.clone())) {
                Some(lease) => Response::json(200, lease),
                None => not_found(&name),
            },
            ("create", None) => {
                let mut lease = match parse_lease(&req.body) {
                    Ok(lease) => lease,
                    Err(invalid) => return invalid,
                };
                let Some(name) = lease["metadata"]["name"].as_str().map(str::to_string) else {
                    return status(
                        422,
                        "Invalid",
                        "Lease.coordination.k8s.io \"\" is invalid: metadata.name: Required value: name or generateName is required",
                    );
                };
                let key = (namespace.clone(), name.clone());
                if state.leases.contains_key(&key) {
                    return status(
                        409,
                        "AlreadyExists",
                        &format!("leases.coordination.k8s.io \"{name}\" already exists"),
                    );
                }
                state.revision += 1;
                lease["metadata"]["namespace"] = json!(namespace);
                lease["metadata"]["resourceVersion"] = json!(state.revision.to_string());
                lease["metadata"]["uid"] =
                    json!(format!("00000000-0000-4000-8000-{:012}", state.revision));
                state.leases.insert(key, lease.clone());
                Response::json(201, &lease)
            }
            ("update", Some(name)) => {
                let mut lease = match parse_lease(&req.body) {
                    Ok(lease) => lease,
                    Err(invalid) => return invalid,
                };
                let key = (namespace.clone(), name.clone());
                let Some(stored) = state.leases.get(&key) else {
                    return not_found(&name);
                };
                let current = stored["metadata"]["resourceVersion"].clone();
                let uid = stored["metadata"]["uid"].clone();
                let sent = &lease["metadata"]["resourceVersion"];
                // The Lease strategy has AllowUnconditionalUpdate false: no blind writes.
                if sent.as_str().is_none_or(str::is_empty) {
                    return status(
                        422,
                        "Invalid",
                        &format!(
                            "Lease.coordination.k8s.io \"{name}\" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"
                        ),
                    );
                }
                if *sent != current {
                    return status(
                        409,
                        "Conflict",
                        &format!(
                            "Operation cannot be fulfilled on leases.coordination.k8s.io \"{name}\": the object has been modified; please apply your changes to the latest version and try again"
                        ),
                    );
                }
                state.revision += 1;
                lease["metadata"]["namespace"] = json!(namespace);
                lease["metadata"]["uid"] = uid;
                lease["metadata"]["resourceVersion"] = json!(state.revision.to_string());
                state.leases.insert(key, lease.clone());
                Response::json(200, &lease)
            }
            _ => status(
                405,
                "MethodNotAllowed",
                "the server does not allow this method on the requested resource",
            ),
        }
    }
}

/// The request body as a Lease: a JSON object of kind Lease whose spec fields have the
/// upstream types (MicroTime with microseconds); else the 400/422 the API server gives.
fn parse_lease(body: &[u8]) -> Result<Value, Response> {
    let lease: Value = serde_json::from_slice(body).map_err(|e| {
        status(
            400,
            "BadRequest",
            &format!("the body of the request was in an unknown format: {e}"),
        )
    })?;
    if lease["kind"] != "Lease" || lease["apiVersion"] != "coordination.k8s.io/v1" {
        return Err(status(
            400,
            "BadRequest",
            "the object provided is unrecognized (must be of type Lease)",
        ));
    }
    let spec = &lease["spec"];
    let mut problems = Vec::new();
    if let Some(fields) = spec.as_object() {
        for (field, value) in fields {
            let ok = match field.as_str() {
                _ if value.is_null() => true,
                "holderIdentity" => value.is_string(),
                "leaseDurationSeconds" | "leaseTransitions" => {
                    value.as_i64().is_some_and(|n| i32::try_from(n).is_ok())
                }
                "acquireTime" | "renewTime" => value.as_str().is_some_and(is_micro_time),
                // Fields of later API versions (strategy, preferredHolder) are not sent here.
                _ => false,
            };
            if !ok {
                problems.push(format!("spec.{field}: Invalid value: {value}"));
            }
        }
    }
    if spec["leaseDurationSeconds"]
        .as_i64()
        .is_some_and(|n| n <= 0)
    {
        problems.push("spec.leaseDurationSeconds: Invalid value: must be greater than 0".into());
    }
    if problems.is_empty() {
        Ok(lease)
    } else {
        Err(status(
            422,
            "Invalid",
            &format!(
                "Lease.coordination.k8s.io is invalid: {}",
                problems.join(", ")
            ),
        ))
    }
}

/// `2006-01-02T15:04:05.000000Z07:00`: RFC 3339 with exactly six fractional digits.
fn is_micro_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|b| b.iter().all(u8::is_ascii_digit))
    };
    bytes.len() >= 27
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && bytes[10] == b'T'
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19)
        && bytes[19] == b'.'
        && digits(20..26)
        && (&text[26..] == "Z" || (text.len() == 32 && matches!(bytes[26], b'+' | b'-')))
}
