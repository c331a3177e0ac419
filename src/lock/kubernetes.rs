//! The lease on a `coordination.k8s.io/v1` Lease object: created when absent, taken over
//! with its `resourceVersion` once `renewTime + leaseDurationSeconds` has passed (a 409 is a
//! lost race), renewed and given back with PUTs. The holder and the run record ride in the
//! Lease's annotations. A 403 names the verb and resource the Role lacks. Never prints the
//! bearer token.

use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::lease::{Backend, Held, Status, Take};
use super::record::{Holder, RunRecord};
use super::transport::{Reply, Transport, server_words};

/// The annotation holding the holder's details (JSON).
const HOLDER_ANNOTATION: &str = "devicepool.io/holder";
/// The annotation holding the run record (JSON).
const RECORD_ANNOTATION: &str = "devicepool.io/run-record";

/// One fleet's Lease on a Kubernetes API server.
pub struct Kubernetes {
    pub(crate) transport: Transport,
    /// `https://host:port` of the API server, without a trailing `/`.
    pub(crate) url: String,
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) token: String,
    pub(crate) ttl: Duration,
    /// The Lease as last read or written by this run (its `resourceVersion` guards the next
    /// write).
    pub(crate) lease: Mutex<Option<Value>>,
}

impl Kubernetes {
    fn collection(&self) -> String {
        format!(
            "{}/apis/coordination.k8s.io/v1/namespaces/{}/leases",
            self.url, self.namespace
        )
    }

    fn object(&self) -> String {
        format!("{}/{}", self.collection(), self.name)
    }

    fn send(&self, method: &str, url: &str, body: Option<&Value>) -> Result<Reply, String> {
        let auth = format!("Bearer {}", self.token);
        let reply = self.transport.send(method, url, body, Some(&auth))?;
        if reply.status == 403 {
            let verb = match method {
                "GET" => "get",
                "POST" => "create",
                _ => "update",
            };
            return Err(format!(
                "{method} {url}: HTTP 403: the service account may not {verb} leases.coordination.k8s.io {:?} in namespace {:?}; grant it a Role with get, create and update on that Lease ({})",
                self.name,
                self.namespace,
                server_words(&reply.body)
            ));
        }
        Ok(reply)
    }

    /// GETs the Lease: `None` when it does not exist.
    fn read(&self) -> Result<Option<Value>, String> {
        let url = self.object();
        let reply = self.send("GET", &url, None)?;
        match reply.status {
            200 => parse(&url, &reply.body).map(Some),
            404 => Ok(None),
            status => Err(format!(
                "GET {url}: HTTP {status}: {}",
                server_words(&reply.body)
            )),
        }
    }

    /// PUTs `lease` (its `resourceVersion` set): `Ok(None)` on a 409 conflict.
    fn replace(&self, lease: &Value) -> Result<Option<Value>, String> {
        let url = self.object();
        let reply = self.send("PUT", &url, Some(lease))?;
        match reply.status {
            200 | 201 => parse(&url, &reply.body).map(Some),
            409 => Ok(None),
            status => Err(format!(
                "PUT {url}: HTTP {status}: {}",
                server_words(&reply.body)
            )),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Option<Value>> {
        self.lease.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// PUTs the held Lease changed by `change`; a 409 or a holder that is not us means it
    /// is lost.
    fn update_held(&self, change: impl FnOnce(&mut Value)) -> Result<(), String> {
        let mut held = self.held();
        let mut lease = held.clone().ok_or("no Lease was taken")?;
        change(&mut lease);
        match self.replace(&lease)? {
            Some(written) => {
                *held = Some(written);
                Ok(())
            }
            None => Err(format!(
                "Lease {}/{} was changed by someone else (409 Conflict): broken or taken over",
                self.namespace, self.name
            )),
        }
    }

    fn body(&self, holder: &Holder, record: &RunRecord, now: Timestamp) -> Value {
        json!({
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "annotations": {
                    HOLDER_ANNOTATION: serde_json::to_string(holder).unwrap_or_default(),
                    RECORD_ANNOTATION: record.to_json(),
                },
            },
            "spec": {
                "holderIdentity": identity(holder),
                "leaseDurationSeconds": self.ttl.as_secs(),
                "acquireTime": micro_time(now),
                "renewTime": micro_time(now),
                "leaseTransitions": 0,
            },
        })
    }
}

impl Backend for Kubernetes {
    fn requests_sent(&self) -> u64 {
        self.transport.sent()
    }

    fn location(&self) -> String {
        format!("Lease {}/{} at {}", self.namespace, self.name, self.url)
    }

    fn take(&self, holder: &Holder) -> Result<Take, String> {
        let now = Timestamp::now();
        let Some(mut lease) = self.read()? else {
            let url = self.collection();
            let body = self.body(holder, &RunRecord::default(), now);
            let reply = self.send("POST", &url, Some(&body))?;
            return match reply.status {
                200 | 201 => {
                    *self.held() = Some(parse(&url, &reply.body)?);
                    Ok(Take::Taken(RunRecord::default()))
                }
                409 => Ok(Take::Busy {
                    holder: "another run that created the Lease at the same moment".into(),
                    expires_in: None,
                }),
                status => Err(format!(
                    "POST {url}: HTTP {status}: {}",
                    server_words(&reply.body)
                )),
            };
        };
        let record = record_of(&lease);
        if let Some(left) = live_for(&lease, now) {
            return Ok(Take::Busy {
                holder: holder_of(&lease),
                expires_in: Some(left),
            });
        }
        let transitions = lease["spec"]["leaseTransitions"].as_u64().unwrap_or(0);
        let fresh = self.body(holder, &record, now);
        lease["spec"] = fresh["spec"].clone();
        lease["spec"]["leaseTransitions"] = json!(transitions + 1);
        set_annotations(&mut lease, &fresh["metadata"]["annotations"]);
        match self.replace(&lease)? {
            Some(written) => {
                *self.held() = Some(written);
                Ok(Take::Taken(record))
            }
            None => Ok(Take::Busy {
                holder: "another run that took the Lease over first (409 Conflict)".into(),
                expires_in: None,
            }),
        }
    }

    fn renew(&self) -> Result<(), String> {
        self.update_held(|lease| {
            lease["spec"]["renewTime"] = json!(micro_time(Timestamp::now()));
        })
    }

    fn write_record(&self, record: &RunRecord) -> Result<(), String> {
        let annotations = json!({RECORD_ANNOTATION: record.to_json()});
        self.update_held(|lease| set_annotations(lease, &annotations))
    }

    fn release(&self, record: &RunRecord) -> Result<(), String> {
        let annotations = json!({RECORD_ANNOTATION: record.to_json()});
        self.update_held(|lease| {
            set_annotations(lease, &annotations);
            lease["spec"]["holderIdentity"] = Value::Null;
        })
    }

    fn status(&self) -> Result<Status, String> {
        let Some(lease) = self.read()? else {
            return Ok(Status {
                holder: None,
                record: RunRecord::default(),
            });
        };
        let holder = lease["spec"]["holderIdentity"]
            .as_str()
            .filter(|h| !h.is_empty())
            .map(|_| Held {
                who: holder_of(&lease),
                left: Ok(live_for(&lease, Timestamp::now())),
                version: resource_version(&lease),
            });
        Ok(Status {
            holder,
            record: record_of(&lease),
        })
    }

    fn remove_holder(&self, held: &Held) -> Result<String, String> {
        let changed = || {
            format!(
                "{} changed since its holder {} was read (renewed, given back or taken by another run); nothing was removed: look again",
                self.location(),
                held.who
            )
        };
        let Some(mut lease) = self.read()? else {
            return Err(changed());
        };
        // Only the holder that was shown: the PUT carries the resourceVersion it was read at,
        // so a change in between is a 409.
        if resource_version(&lease) != held.version {
            return Err(changed());
        }
        lease["spec"]["holderIdentity"] = Value::Null;
        match self.replace(&lease)? {
            Some(_) => Ok(format!(
                "removed the holder {} of {}",
                held.who,
                self.location()
            )),
            None => Err(changed()),
        }
    }
}

fn resource_version(lease: &Value) -> String {
    lease["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// A MicroTime as Kubernetes writes it: RFC 3339 in UTC with six fractional digits.
pub fn micro_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// The holder identity written in `spec.holderIdentity`.
fn identity(holder: &Holder) -> String {
    format!(
        "{}_{}_{}",
        holder.host,
        holder.pid,
        holder.started_at.as_second()
    )
}

/// How long the Lease's holder still holds it at `now` (`None`: free or expired).
fn live_for(lease: &Value, now: Timestamp) -> Option<Duration> {
    let spec = &lease["spec"];
    spec["holderIdentity"].as_str().filter(|h| !h.is_empty())?;
    let renewed: Timestamp = spec["renewTime"]
        .as_str()
        .or(spec["acquireTime"].as_str())?
        .parse()
        .ok()?;
    let duration = spec["leaseDurationSeconds"].as_i64()?;
    let until = renewed
        .checked_add(jiff::SignedDuration::from_secs(duration))
        .ok()?;
    Duration::try_from(until.duration_since(now))
        .ok()
        .filter(|d| !d.is_zero())
}

fn holder_of(lease: &Value) -> String {
    let annotations = &lease["metadata"]["annotations"];
    annotations[HOLDER_ANNOTATION]
        .as_str()
        .and_then(|text| serde_json::from_str::<Holder>(text).ok())
        .map_or_else(
            || {
                format!(
                    "holder {:?} (not written by devicepool)",
                    lease["spec"]["holderIdentity"].as_str().unwrap_or_default()
                )
            },
            |h| h.describe(),
        )
}

fn record_of(lease: &Value) -> RunRecord {
    lease["metadata"]["annotations"][RECORD_ANNOTATION]
        .as_str()
        .map_or_else(RunRecord::default, RunRecord::parse)
}

fn set_annotations(lease: &mut Value, annotations: &Value) {
    if !lease["metadata"]["annotations"].is_object() {
        lease["metadata"]["annotations"] = json!({});
    }
    if let Some(add) = annotations.as_object() {
        for (key, value) in add {
            lease["metadata"]["annotations"][key] = value.clone();
        }
    }
}

fn parse(url: &str, body: &str) -> Result<Value, String> {
    serde_json::from_str(body).map_err(|e| format!("{url}: unexpected answer: {e}"))
}

#[cfg(test)]
#[path = "kubernetes_tests.rs"]
mod tests;
