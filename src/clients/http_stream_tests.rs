//! Tests of the streamed GET against a loopback fake: a body over `max_body_bytes` but under
//! the cap decodes, one over the cap is too large, 204 is none, and an undecodable body is a
//! decode failure sent once (not retried).

use std::sync::Arc;

use devicepool_sim::fault::Fault;
use devicepool_sim::http::{Api, Request, Response};
use devicepool_sim::server::SimServer;
use serde::Deserialize;

use crate::clients::http::{ApiError, Failure, Get, Reader};
use crate::load::HttpSettings;
use crate::secret::Redactor;

/// Answers `/none` with 204, anything else with `{"keep":7,"log":"<n bytes>"}`.
struct Logs(usize);

impl Api for Logs {
    fn handle(&self, req: &Request) -> Response {
        if req.path == "/none" {
            return Response::text(204, "");
        }
        Response::json(
            200,
            &serde_json::json!({"keep": 7, "log": "x".repeat(self.0)}),
        )
    }
    fn error(&self, status: u16, _: &Request) -> Response {
        Response::text(status, "error")
    }
}

/// `keep`; the log, an unknown field, is skipped (serde derives skip with `IgnoredAny`).
#[derive(Debug, Deserialize)]
struct Kept {
    keep: i64,
}

fn reader(max_body_bytes: u64) -> Reader {
    let settings = HttpSettings {
        retries: 2,
        backoff: std::time::Duration::from_millis(1),
        max_body_bytes,
        ..HttpSettings::default()
    };
    Reader::new(&settings, Redactor::default())
}

fn get(server: &SimServer, path: &str) -> Get<'static> {
    Get {
        api: "test",
        url: format!("{}{path}", server.url()),
        query: Vec::new(),
        authorization: None,
    }
}

fn failure(outcome: Result<Option<Kept>, ApiError>) -> Failure {
    outcome.expect_err("a failure").failure
}

#[test]
fn a_body_far_over_max_body_bytes_decodes_under_the_cap() {
    let server = SimServer::start(Arc::new(Logs(2_000_000))).unwrap();
    let reader = reader(1024);
    let kept: Option<Kept> = reader
        .get_json_streamed_or_no_content(&get(&server, "/result"), 4_000_000)
        .expect("decoded");
    assert_eq!(kept.map(|k| k.keep), Some(7));
    let over = reader.get_json_streamed_or_no_content(&get(&server, "/result"), 1_000_000);
    assert_eq!(failure(over), Failure::TooLarge(1_000_000));
    let none = reader.get_json_streamed_or_no_content::<Kept>(&get(&server, "/none"), 100);
    assert_eq!(none.map(|n| n.is_none()), Ok(true));
}

#[test]
fn an_undecodable_body_is_a_decode_failure_sent_once_and_a_503_is_retried() {
    let server = SimServer::start(Arc::new(Logs(10))).unwrap();
    let reader = reader(1024);
    server.inject("GET", "/bad", Fault::malformed_json());
    server.inject(
        "GET",
        "/odd",
        Fault::status(200).with_body(r#"{"keep":"x","log":1}"#),
    );
    server.inject("GET", "/busy", Fault::status(503).times(1));
    let bad = reader.get_json_streamed_or_no_content(&get(&server, "/bad"), 1024);
    assert!(matches!(failure(bad), Failure::Decode(_)));
    let odd = reader.get_json_streamed_or_no_content(&get(&server, "/odd"), 1024);
    let Failure::Decode(message) = failure(odd) else {
        panic!("not a decode failure");
    };
    assert!(message.contains("invalid type: string \"x\""), "{message}");
    let busy: Option<Kept> = reader
        .get_json_streamed_or_no_content(&get(&server, "/busy"), 1024)
        .expect("retried");
    assert_eq!(busy.map(|k| k.keep), Some(7));
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/bad", "/odd", "/busy", "/busy"]);
}
