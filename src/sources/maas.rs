//! MAAS reads: the machines carrying a rack's tags, signed with the API key as OAuth 1.0a
//! PLAINTEXT. Read-only; wire types stay private here; the key never leaves a `Secret`.
//! Every attempt is signed afresh: a random nonce and the wall-clock timestamp (MAAS refuses a
//! nonce twice and a timestamp more than 300 s off). `authorization` takes both as arguments
//! so the header is testable exactly. The body
//! decoder (`decode_machines`) is the very mapping the fetch uses, so `sources::decode` can
//! fuzz it without a server.

use serde::Deserialize;

use super::http::{ApiError, Failure, Get, Reader, encode_component};
use crate::secret::Secret;
use crate::snapshot::MaasMachine;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::HttpSettings;
    use devicepool_sim::Fault;
    use devicepool_sim::maas::MaasSim;

    fn reader() -> Reader {
        Reader::new(
            &HttpSettings {
                retries: 1,
                backoff: std::time::Duration::from_millis(1),
                ..HttpSettings::default()
            },
            crate::secret::Redactor::default(),
        )
    }

    fn tags(t: &[&str]) -> Vec<String> {
        t.iter().map(|s| s.to_string()).collect()
    }

    fn status_of(e: &ApiError) -> Option<(u16, &str)> {
        match &e.failure {
            Failure::Status { status, excerpt } => Some((*status, excerpt.as_str())),
            _ => None,
        }
    }

    #[test]
    fn header_is_exact_plaintext_oauth() {
        let key = Secret::new("ck:tk:s3cr&t");
        let header = authorization(&key, 1_780_000_000, "n0nce").expect("three parts");
        assert_eq!(
            header.expose(),
            "OAuth oauth_version=\"1.0\", oauth_signature_method=\"PLAINTEXT\", \
             oauth_consumer_key=\"ck\", oauth_token=\"tk\", oauth_signature=\"%26s3cr%2526t\", \
             oauth_nonce=\"n0nce\", oauth_timestamp=\"1780000000\""
        );
        assert!(authorization(&Secret::new("only:two"), 1, "n").is_none());
    }

    #[test]
    fn lists_machines_with_all_tags_signed() {
        let maas = MaasSim::start().expect("start");
        maas.add_machine("tor3-a", &["rack-a", "gpu"], "Ready");
        maas.add_machine("tor3-b", &["rack-a"], "Failed deployment");
        maas.add_machine("tor4-c", &["rack-b"], "Deployed");
        let key = Secret::new(maas.api_key());
        let base = format!("{}/", maas.url());
        let got = fetch_machines(&reader(), &base, &key, &tags(&["rack-a"])).expect("machines");
        let names: Vec<(&str, u8, &str)> = got
            .iter()
            .map(|m| (m.hostname.as_str(), m.status, m.status_name.as_str()))
            .collect();
        assert_eq!(
            names,
            [("tor3-a", 4, "Ready"), ("tor3-b", 11, "Failed deployment")]
        );
        assert_eq!(
            (got[0].zone.as_str(), got[0].pool.as_str()),
            ("default", "default")
        );
        let both = fetch_machines(&reader(), &maas.url(), &key, &tags(&["rack-a", "gpu"]))
            .expect("machines");
        assert_eq!(both.len(), 1);
        let log = maas.server().requests();
        assert_eq!(log[0].path, "/MAAS/api/2.0/machines/");
        assert_eq!(log[1].query, "tags=rack-a&tags=gpu");
        // Each request is signed afresh: its own nonce, the wall-clock time, the same key.
        let param = |i: usize, name: &str| {
            let header = log[i].header("authorization").expect("auth").to_string();
            let start = header.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
            header[start..]
                .split('"')
                .next()
                .expect("value")
                .to_string()
        };
        assert_ne!(param(0, "oauth_nonce"), param(1, "oauth_nonce"));
        assert!(param(0, "oauth_nonce").len() >= 32, "at least 128 bits");
        let now = jiff::Timestamp::now().as_second();
        let sent: i64 = param(0, "oauth_timestamp").parse().expect("number");
        assert!((now - sent).abs() < 300, "wall-clock timestamp");
        let expected = authorization(&key, sent, &param(0, "oauth_nonce")).expect("key");
        assert_eq!(log[0].header("authorization"), Some(expected.expose()));
    }

    #[test]
    fn a_retry_is_signed_with_a_new_nonce_so_maas_accepts_it() {
        let maas = MaasSim::start().expect("start");
        maas.add_machine("tor3-a", &["rack-a"], "Ready");
        maas.server().inject(
            "GET",
            "/MAAS/api/2.0/machines/",
            Fault::status(503).times(1),
        );
        let key = Secret::new(maas.api_key());
        let got = fetch_machines(&reader(), &maas.url(), &key, &tags(&["rack-a"]));
        assert_eq!(got.expect("the retry is accepted").len(), 1);
        let log = maas.server().requests();
        assert_eq!(log.len(), 2);
        assert_ne!(
            log[0].header("authorization"),
            log[1].header("authorization")
        );
    }

    #[test]
    fn auth_and_tag_errors_surface() {
        let maas = MaasSim::start().expect("start");
        maas.add_machine("tor3-a", &["rack-a"], "Ready");
        let r = reader();
        let wrong = Secret::new("SimConsumerKey0001:nope:SimTokenSecret000000000000000001");
        let e = fetch_machines(&r, &maas.url(), &wrong, &[]).expect_err("401");
        assert_eq!(
            status_of(&e),
            Some((401, "Authorization Error: Invalid API key."))
        );
        let key = maas.api_key();
        let (ck, rest) = key.split_once(':').expect("key");
        let (tk, _) = rest.split_once(':').expect("key");
        let bad_sig = Secret::new(format!("{ck}:{tk}:not-the-secret"));
        let e = fetch_machines(&r, &maas.url(), &bad_sig, &[]).expect_err("401");
        assert_eq!(status_of(&e).map(|s| s.0), Some(401));
        let e = fetch_machines(&r, &maas.url(), &Secret::new(key), &tags(&["x"])).expect_err("400");
        assert_eq!(
            status_of(&e),
            Some((400, r#"{"tags":["No such tag(s): 'x'."]}"#))
        );
        assert!(!e.to_string().contains("SimTokenSecret"));
    }

    #[test]
    fn an_ignored_filter_is_an_error_not_a_fleet() {
        let maas = MaasSim::start().expect("start");
        maas.add_machine("tor3-a", &["rack-a"], "Ready");
        maas.add_machine("other", &["rack-b"], "Ready");
        let body = r#"[{"hostname":"other","system_id":"x","status":4,"status_name":"Ready","tag_names":["rack-b"]}]"#;
        maas.server().inject(
            "GET",
            "/MAAS/api/2.0/machines/",
            Fault::status(200).with_body(body),
        );
        let key = Secret::new(maas.api_key());
        let e =
            fetch_machines(&reader(), &maas.url(), &key, &tags(&["rack-a"])).expect_err("protocol");
        assert!(matches!(e.failure, Failure::Protocol(_)), "{e}");
    }
}
