//! The lease on etcd v3, through its JSON gateway (`/v3/...`, keys and values base64):
//! `<prefix>/<fleet>/holder` is bound to an etcd lease with the TTL and created only if
//! absent (one transaction); `<prefix>/<fleet>/record` keeps the run record across holders
//! and is written only while the holder key is still bound to this run's lease. Taking and
//! giving back cost three requests. Never prints the password or the auth token.

use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::lease::{Backend, Held, Status, Take};
use super::record::{Holder, RunRecord};
use super::transport::{Reply, Transport, server_words};

/// One fleet's lease on an etcd cluster.
pub struct Etcd {
    transport: Transport,
    endpoints: Vec<String>,
    holder_key: String,
    record_key: String,
    ttl: Duration,
    /// User name and password for `/v3/auth/authenticate`, when etcd authentication is on.
    credentials: Option<(String, String)>,
    state: Mutex<Session>,
}

#[derive(Default)]
struct Session {
    /// The etcd lease this run holds the key with.
    lease: Option<String>,
    /// The auth token, once authenticated.
    token: Option<String>,
}

impl Etcd {
    pub fn new(
        transport: Transport,
        endpoints: Vec<String>,
        prefix: &str,
        fleet: &str,
        ttl: Duration,
        credentials: Option<(String, String)>,
    ) -> Etcd {
        Etcd {
            transport,
            endpoints,
            holder_key: format!("{prefix}/{fleet}/holder"),
            record_key: format!("{prefix}/{fleet}/record"),
            ttl,
            credentials,
            state: Mutex::new(Session::default()),
        }
    }

    /// POSTs `body` to `path` on the first endpoint that answers; a non-2xx answer is an
    /// error with etcd's words. A token etcd no longer knows (HTTP 401: a JWT past its TTL,
    /// a simple token dropped on a member restart or idle too long) is replaced once by
    /// authenticating again, and the request sent once more.
    fn call(&self, path: &str, body: &Value) -> Result<Value, String> {
        let token = self.token()?;
        let mut answer = self.post_first(path, body, token.as_deref())?;
        if answer.1.status == 401 && token.is_some() {
            self.session().token = None;
            let token = self.token()?;
            answer = self.post_first(path, body, token.as_deref())?;
        }
        let (url, Reply { status, body }) = answer;
        if !(200..300).contains(&status) {
            return Err(format!(
                "POST {url}: HTTP {status}: {}",
                server_words(&body)
            ));
        }
        serde_json::from_str(&body).map_err(|e| format!("POST {url}: unexpected answer: {e}"))
    }

    /// POSTs `body` to `path` on each endpoint in turn until one answers (any status).
    fn post_first(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> Result<(String, Reply), String> {
        let mut last = String::from("no endpoint");
        for endpoint in &self.endpoints {
            let url = format!("{}{path}", endpoint.trim_end_matches('/'));
            match self.transport.send("POST", &url, Some(body), token) {
                Ok(reply) => return Ok((url, reply)),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// The auth token, authenticating first when credentials are configured.
    fn token(&self) -> Result<Option<String>, String> {
        let Some((name, password)) = &self.credentials else {
            return Ok(None);
        };
        if let Some(token) = self.session().token.clone() {
            return Ok(Some(token));
        }
        let body = json!({"name": name, "password": password});
        let (url, reply) = self.post_first("/v3/auth/authenticate", &body, None)?;
        if reply.status != 200 {
            return Err(format!(
                "POST {url}: authentication refused: HTTP {}: {}",
                reply.status,
                server_words(&reply.body)
            ));
        }
        let token = serde_json::from_str::<Value>(&reply.body)
            .ok()
            .and_then(|v| v["token"].as_str().map(str::to_string))
            .ok_or_else(|| format!("POST {url}: no token in the answer"))?;
        self.session().token = Some(token.clone());
        Ok(Some(token))
    }

    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn our_lease(&self) -> Result<String, String> {
        self.session()
            .lease
            .clone()
            .ok_or_else(|| "no lease was taken".to_string())
    }

    /// A transaction guarded by the holder key still being bound to this run's lease.
    fn while_ours(&self, success: Vec<Value>) -> Result<(), String> {
        let lease = self.our_lease()?;
        let answer = self.call(
            "/v3/kv/txn",
            &json!({
                "compare": [{"target": "LEASE", "key": b64(&self.holder_key), "lease": lease}],
                "success": success,
            }),
        )?;
        if answer["succeeded"].as_bool() == Some(true) {
            Ok(())
        } else {
            Err(format!(
                "the key {} is no longer held by this run (broken or taken over)",
                self.holder_key
            ))
        }
    }

    fn put_record(&self, record: &RunRecord) -> Value {
        json!({"request_put": {"key": b64(&self.record_key), "value": B64.encode(record.to_json())}})
    }

    /// The remaining TTL of etcd lease `id` (`None`: it has run out or was revoked); `Err`
    /// when etcd could not be asked, which is not "ran out".
    fn time_to_live(&self, id: &str) -> Result<Option<Duration>, String> {
        let answer = self.call("/v3/lease/timetolive", &json!({"ID": id}))?;
        let ttl = int(&answer["TTL"])
            .ok_or_else(|| format!("etcd answered no TTL for lease {id}: {answer}"))?;
        Ok((ttl > 0).then(|| Duration::from_secs(ttl as u64)))
    }

    /// The holder in one range answer (`{"response_range": ...}`), if any.
    fn held(&self, response: &Value) -> Option<Held> {
        let text = range_value(response)?;
        let left = match bound_lease(response) {
            Some(id) => self.time_to_live(&id),
            None => Ok(None),
        };
        let version = int(&response["response_range"]["kvs"][0]["mod_revision"])
            .unwrap_or_default()
            .to_string();
        Some(Held {
            who: describe_holder(&text),
            left,
            version,
        })
    }
}

impl Backend for Etcd {
    fn requests_sent(&self) -> u64 {
        self.transport.sent()
    }

    fn location(&self) -> String {
        format!(
            "etcd key {} at {}",
            self.holder_key,
            self.endpoints.join(", ")
        )
    }

    fn take(&self, holder: &Holder) -> Result<Take, String> {
        let granted = self.call("/v3/lease/grant", &json!({"TTL": self.ttl.as_secs()}))?;
        let lease = match &granted["ID"] {
            Value::String(id) => id.clone(),
            Value::Number(id) => id.to_string(),
            _ => return Err("etcd granted a lease without an ID".into()),
        };
        let holder_json = serde_json::to_string(holder).unwrap_or_default();
        let answer = self.call(
            "/v3/kv/txn",
            &json!({
                "compare": [{"target": "CREATE", "key": b64(&self.holder_key), "create_revision": "0"}],
                "success": [
                    {"request_put": {"key": b64(&self.holder_key), "value": B64.encode(holder_json), "lease": lease}},
                    {"request_range": {"key": b64(&self.record_key)}},
                ],
                "failure": [{"request_range": {"key": b64(&self.holder_key)}}],
            }),
        )?;
        let responses = &answer["responses"];
        if answer["succeeded"].as_bool() == Some(true) {
            self.session().lease = Some(lease);
            let record = range_value(&responses[1])
                .map_or_else(RunRecord::default, |text| RunRecord::parse(&text));
            return Ok(Take::Taken(record));
        }
        let found = range_value(&responses[0]);
        // Ours is not needed: give it back rather than leave it to run out.
        let _ = self.call("/v3/lease/revoke", &json!({"ID": lease}));
        let (holder, expires_in) = match found {
            Some(text) => (
                describe_holder(&text),
                // Only for the message: an unknown TTL is not shown.
                bound_lease(&responses[0]).and_then(|id| self.time_to_live(&id).ok().flatten()),
            ),
            None => ("a holder that just gave it back".into(), None),
        };
        Ok(Take::Busy { holder, expires_in })
    }

    fn renew(&self) -> Result<(), String> {
        let lease = self.our_lease()?;
        let answer = self.call("/v3/lease/keepalive", &json!({"ID": lease}))?;
        match int(&answer["result"]["TTL"]) {
            Some(ttl) if ttl > 0 => Ok(()),
            _ => Err(format!("etcd lease {lease} has expired or was revoked")),
        }
    }

    fn write_record(&self, record: &RunRecord) -> Result<(), String> {
        self.while_ours(vec![self.put_record(record)])
    }

    fn release(&self, record: &RunRecord) -> Result<(), String> {
        // The etcd lease itself is left to run out: no key is bound to it any more.
        self.while_ours(vec![
            self.put_record(record),
            json!({"request_delete_range": {"key": b64(&self.holder_key)}}),
        ])
    }

    fn status(&self) -> Result<Status, String> {
        let answer = self.call(
            "/v3/kv/txn",
            &json!({"success": [
                {"request_range": {"key": b64(&self.holder_key)}},
                {"request_range": {"key": b64(&self.record_key)}},
            ]}),
        )?;
        let responses = &answer["responses"];
        let holder = self.held(&responses[0]);
        let record =
            range_value(&responses[1]).map_or_else(RunRecord::default, |t| RunRecord::parse(&t));
        Ok(Status { holder, record })
    }

    fn remove_holder(&self, held: &Held) -> Result<String, String> {
        // Only the holder that was shown: the key must not have changed since it was read.
        let answer = self.call(
            "/v3/kv/txn",
            &json!({
                "compare": [{"target": "MOD", "key": b64(&self.holder_key), "mod_revision": held.version}],
                "success": [{"request_delete_range": {"key": b64(&self.holder_key), "prev_kv": true}}],
            }),
        )?;
        if answer["succeeded"].as_bool() != Some(true) {
            return Err(format!(
                "{} changed since its holder {} was read (given back, renewed into a new key or taken by another run); nothing was removed: look again",
                self.holder_key, held.who
            ));
        }
        // Its etcd lease is revoked too, so that holder's next renewal fails at once.
        let deleted = json!({"response_range": {"kvs": answer["responses"][0]["response_delete_range"]["prev_kvs"]}});
        if let Some(id) = bound_lease(&deleted) {
            self.call("/v3/lease/revoke", &json!({"ID": id}))?;
        }
        Ok(format!(
            "removed the holder {} of {}",
            held.who, self.holder_key
        ))
    }
}

/// The etcd lease the first key of one range answer (`{"response_range": ...}`) is bound
/// to.
fn bound_lease(response: &Value) -> Option<String> {
    match &response["response_range"]["kvs"][0]["lease"] {
        Value::String(id) if id != "0" => Some(id.clone()),
        Value::Number(id) if id.as_i64() != Some(0) => Some(id.to_string()),
        _ => None,
    }
}

/// The holder as stored in the key, described; foreign content is shown as such.
fn describe_holder(text: &str) -> String {
    serde_json::from_str::<Holder>(text).map_or_else(
        |_| {
            format!(
                "an unknown holder ({} bytes not written by devicepool)",
                text.len()
            )
        },
        |h| h.describe(),
    )
}

/// The decoded value of the first key of one range answer (`{"response_range": ...}`).
fn range_value(response: &Value) -> Option<String> {
    let value = response["response_range"]["kvs"][0]["value"].as_str()?;
    let bytes = B64.decode(value).ok()?;
    String::from_utf8(bytes).ok()
}

fn b64(text: &str) -> String {
    B64.encode(text)
}

/// An int64 as the gateway writes it: a JSON string (or a number).
fn int(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

#[cfg(test)]
#[path = "etcd_tests.rs"]
mod tests;
