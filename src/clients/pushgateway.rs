//! Prometheus Pushgateway: PUTs a run's metrics to its group (job `devicepool`, grouping key
//! fleet and partition; a PUT replaces the whole group) and reads back what the previous push
//! left there (`GET /api/v1/metrics`), so a run on a fresh machine carries the last success
//! and held-run counts on. Knows the wire only: which figures carry on is `report::metrics`'.

use std::collections::BTreeMap;

use base64::Engine;
use serde::Deserialize;

use crate::clients::http::{ApiError, Get, Reader};
use crate::clients::http_send::{Mutation, Payload, Writer};

/// The API name in messages and in the request counts.
pub const API: &str = "pushgateway";

/// One sample the gateway holds, grouping labels (`job`, `fleet`, `partition`, `instance`)
/// included.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: String,
}

/// Which group of the gateway a run pushes to.
pub struct Group<'a> {
    /// The gateway's base URL (`http://pushgateway:9091`).
    pub url: &'a str,
    pub fleet: &'a str,
    pub partition: &'a str,
}

impl Group<'_> {
    /// `<url>/metrics/job/devicepool/fleet/<fleet>/partition/<partition>`: a value that is not
    /// plain URL-safe text (a `/`, a `*`, a `,`, empty) goes in the `@base64` form the
    /// gateway documents, URL-safe alphabet.
    pub fn push_url(&self) -> String {
        let mut url = format!("{}/metrics/job/devicepool", self.url.trim_end_matches('/'));
        for (name, value) in [("fleet", self.fleet), ("partition", self.partition)] {
            let plain = !value.is_empty()
                && (value.bytes()).all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b));
            if plain {
                url.push_str(&format!("/{name}/{value}"));
            } else {
                let encoded = base64::engine::general_purpose::URL_SAFE.encode(value);
                url.push_str(&format!("/{name}@base64/{encoded}"));
            }
        }
        url
    }

    /// Whether a group the gateway lists is this one.
    fn is(&self, labels: &BTreeMap<String, String>) -> bool {
        let of = |name: &str| labels.get(name).map(String::as_str);
        of("job") == Some("devicepool")
            && of("fleet") == Some(self.fleet)
            && of("partition") == Some(self.partition)
    }
}

/// The gateway's `GET /api/v1/metrics` answer: every group with its families by name.
#[derive(Deserialize)]
struct Groups {
    data: Vec<GroupRead>,
}

#[derive(Deserialize)]
struct GroupRead {
    labels: BTreeMap<String, String>,
    #[serde(flatten)]
    families: BTreeMap<String, serde_json::Value>,
}

#[derive(Deserialize)]
struct FamilyRead {
    metrics: Vec<MetricRead>,
}

#[derive(Deserialize)]
struct MetricRead {
    labels: BTreeMap<String, String>,
    value: String,
}

/// The samples of `names` the gateway holds in `group` (none when it holds no such group).
pub fn read_group(
    reader: &Reader,
    group: &Group<'_>,
    names: &[&str],
) -> Result<Vec<Sample>, ApiError> {
    let get = Get {
        api: API,
        url: format!("{}/api/v1/metrics", group.url.trim_end_matches('/')),
        query: Vec::new(),
        authorization: None,
    };
    let groups: Groups = reader.get_json(&get)?;
    let mut out = Vec::new();
    for read in groups.data.into_iter().filter(|g| group.is(&g.labels)) {
        for (name, family) in read.families {
            if !names.contains(&name.as_str()) {
                continue;
            }
            // A family that is not in the documented shape carries nothing on.
            let Ok(family) = serde_json::from_value::<FamilyRead>(family) else {
                continue;
            };
            out.extend(family.metrics.into_iter().map(|m| Sample {
                name: name.clone(),
                labels: m.labels,
                value: m.value,
            }));
        }
    }
    Ok(out)
}

/// PUTs `text` (the text exposition format) to `group`, replacing what it held.
pub fn push(writer: &Writer, group: &Group<'_>, text: &str) -> Result<(), ApiError> {
    let mutation = Mutation {
        api: API,
        method: "PUT",
        url: group.push_url(),
        query: Vec::new(),
        authorization: None,
        payload: Payload::Exposition(text.to_string()),
    };
    let answer = writer.send(&mutation)?;
    if (200..300).contains(&answer.status) {
        return Ok(());
    }
    // Already counted as an error by the send (a status of 400 or more).
    let message = crate::clients::http_send::server_message(&answer.body);
    Err(writer.refused(&mutation, &answer, &message))
}

#[cfg(test)]
#[path = "pushgateway_tests.rs"]
mod tests;
