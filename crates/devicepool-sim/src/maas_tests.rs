//! Unit tests of `maas.rs`.

use super::*;
use crate::probe::{fetch, header};
use serde_json::Value;

/// A header as a client signs it now, with a nonce not used before.
fn signed(maas: &MaasSim) -> String {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let nonce = format!(
        "n{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    signed_at(maas, jiff::Timestamp::now().as_second(), &nonce)
}

/// A PLAINTEXT OAuth header for `timestamp` and `nonce`, built here from MAAS's contract
/// rather than by devicepool's own signer (the token secret is alphanumeric, so its
/// encoded form is itself).
fn signed_at(maas: &MaasSim, timestamp: i64, nonce: &str) -> String {
    let key = maas.api_key();
    let mut parts = key.splitn(3, ':');
    let mut next = || parts.next().expect("consumer:token:secret");
    let (consumer, token, secret) = (next(), next(), next());
    format!(
        "OAuth oauth_version=\"1.0\", oauth_signature_method=\"PLAINTEXT\", oauth_consumer_key=\"{consumer}\", oauth_token=\"{token}\", oauth_signature=\"%26{secret}\", oauth_nonce=\"{nonce}\", oauth_timestamp=\"{timestamp}\""
    )
}

fn get(maas: &MaasSim, path: &str) -> (u16, String) {
    let auth = signed(maas);
    let url = format!("{}/api/2.0/{path}", maas.url());
    let (status, _, body) = fetch("GET", &url, &[("Authorization", &auth)], None);
    (status, body)
}

fn hostnames(body: &str) -> Vec<String> {
    let v: Vec<Value> = serde_json::from_str(body).expect("json array");
    v.iter()
        .map(|m| m["hostname"].as_str().expect("h").to_string())
        .collect()
}

fn fleet() -> MaasSim {
    let maas = MaasSim::start().expect("start");
    maas.add_machine("a", &["rack-a", "gpu"], "Ready");
    maas.add_machine("b", &["rack-a"], "Deployed");
    maas.add_machine("c", &["rack-b"], "Ready");
    maas.add_tag("empty");
    maas
}

#[test]
fn filters_follow_maas_semantics() {
    let maas = fleet();
    let (status, body) = get(&maas, "machines/");
    assert_eq!(
        (status, hostnames(&body)),
        (200, vec!["a".into(), "b".into(), "c".into()])
    );
    let v: Vec<Value> = serde_json::from_str(&body).expect("json");
    assert_eq!(
        (v[1]["status"].as_u64(), v[1]["status_name"].as_str()),
        (Some(6), Some("Deployed"))
    );
    assert_eq!(
        v[0]["resource_uri"],
        format!(
            "/MAAS/api/2.0/machines/{}/",
            v[0]["system_id"].as_str().expect("id")
        )
    );
    for q in [
        "tags=rack-a&tags=gpu",
        "tags=rack-a,gpu",
        "tags=rack-a%20gpu",
    ] {
        assert_eq!(
            hostnames(&get(&maas, &format!("machines/?{q}")).1),
            ["a"],
            "{q}"
        );
    }
    assert!(hostnames(&get(&maas, "machines/?tags=empty").1).is_empty());
    assert_eq!(
        hostnames(&get(&maas, "machines/?hostname=a&hostname=c").1),
        ["a", "c"]
    );
    assert_eq!(
        hostnames(&get(&maas, "machines/?status=ready&tags=rack-a").1),
        ["a"]
    );
    assert_eq!(hostnames(&get(&maas, "machines/?not_tags=rack-a").1), ["c"]);
    assert_eq!(
        get(&maas, "machines/?tags=x,y"),
        (400, r#"{"tags":["No such tag(s): 'x', 'y'."]}"#.into())
    );
    assert_eq!(get(&maas, "machines/?status=Ready").0, 400);
    maas.set_machine_status("c", "Broken");
    assert_eq!(hostnames(&get(&maas, "machines/?status=broken").1), ["c"]);
    let id = maas.machines()[0].system_id.clone();
    assert_eq!(
        hostnames(&format!("[{}]", get(&maas, &format!("machines/{id}/")).1)),
        ["a"]
    );
    assert_eq!(
        get(&maas, "machines/nope00/"),
        (404, "No Machine matches the given query.".into())
    );
}

#[test]
fn oauth_is_checked_like_maas() {
    let maas = fleet();
    let url = format!("{}/api/2.0/machines/", maas.url());
    let (status, hdrs, _) = fetch("GET", &url, &[], None);
    assert_eq!(status, 401);
    assert_eq!(
        header(&hdrs, "www-authenticate"),
        Some("OAuth realm=\"OAuth\"")
    );
    let auth = |h: &str| fetch("GET", &url, &[("Authorization", h)], None);
    let full = signed(&maas);
    let nonce_param = full
        .split(", ")
        .find(|p| p.starts_with("oauth_nonce="))
        .expect("nonce")
        .to_string();
    let no_nonce = full.replace(&format!(", {nonce_param}"), "");
    let (status, _, body) = auth(&no_nonce);
    assert_eq!(
        (status, body.as_str()),
        (400, "Missing OAuth parameter(s): oauth_nonce")
    );
    let hmac = full.replace("PLAINTEXT", "HMAC-SHA1");
    assert_eq!(auth(&hmac).0, 401);
    let raw_amp = full.replace("%26", "&");
    assert_eq!(auth(&raw_amp).0, 200, "an unencoded & decodes the same");
    let (status, _, body) = auth(&raw_amp);
    assert_eq!(status, 401, "a nonce is accepted once");
    assert!(
        body.starts_with("Authorization Error: 'Nonce already used: n"),
        "{body}"
    );
    let stale = jiff::Timestamp::now().as_second() - 301;
    let old = signed_at(&maas, stale, "fresh");
    let (status, _, body) = auth(&old);
    assert_eq!(status, 401);
    assert!(body.contains("Expired timestamp"), "{body}");
    let basic = auth("Basic dTpw");
    assert_eq!(basic.0, 401);
    let (status, _, body) = fetch(
        "GET",
        &format!("{}/api/2.0/version/", maas.url()),
        &[],
        None,
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn status_table_matches_maas() {
    assert_eq!(status_code("Failed deployment"), Some(11));
    assert_eq!(status_code("Failed Deployment"), None);
    assert_eq!(status_code("Releasing failed"), Some(13));
    assert_eq!(status_code("Failed testing"), Some(22));
    for (i, (code, _, _)) in STATUSES.iter().enumerate() {
        assert_eq!(usize::from(*code), i);
    }
}

#[test]
fn system_ids_are_short_and_unique() {
    let ids: BTreeSet<String> = (1..500).map(system_id).collect();
    assert_eq!(ids.len(), 499);
    assert!(ids.iter().all(|s| s.len() == 6));
}
