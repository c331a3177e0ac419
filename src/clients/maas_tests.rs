//! Unit tests of `clients/maas.rs`.

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
    let both =
        fetch_machines(&reader(), &maas.url(), &key, &tags(&["rack-a", "gpu"])).expect("machines");
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
    let e = fetch_machines(&reader(), &maas.url(), &key, &tags(&["rack-a"])).expect_err("protocol");
    assert!(matches!(e.failure, Failure::Protocol(_)), "{e}");
}
