//! Unit tests of `server.rs`.

use super::*;
use crate::probe::{fetch, header};
use serde_json::json;

/// Echoes the (possibly rewritten) query; errors are `E<status>`.
struct Echo;
impl Api for Echo {
    fn handle(&self, req: &Request) -> Response {
        Response::json(
            200,
            &json!({ "query": req.query, "path": req.decoded_path() }),
        )
    }
    fn error(&self, status: u16, _req: &Request) -> Response {
        Response::text(status, &format!("E{status}"))
    }
}

fn echo() -> SimServer {
    SimServer::start(Arc::new(Echo)).expect("start")
}

#[test]
fn logs_raw_request_before_faults() {
    let s = echo();
    s.inject("POST", "/a/b", Fault::status(503));
    let url = format!("{}/a%2Fb?x=1&y=a%20b", s.url());
    let (status, _, body) = fetch("POST", &url, &[("X-Test", "yes")], Some("payload"));
    assert_eq!((status, body.as_str()), (503, "E503"));
    let log = s.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].path, "/a%2Fb");
    assert_eq!(log[0].query, "x=1&y=a%20b");
    assert_eq!(log[0].query_param("y").as_deref(), Some("a b"));
    assert_eq!(log[0].header("x-test"), Some("yes"));
    assert_eq!(log[0].body, b"payload");
    s.clear_requests();
    assert!(s.requests().is_empty());
}

#[test]
fn fault_times_then_normal_with_headers() {
    let s = echo();
    s.inject(
        "GET",
        "/x",
        Fault::status(429).times(2).with_header("Retry-After", "1"),
    );
    let url = format!("{}/x", s.url());
    for _ in 0..2 {
        let (status, hdrs, _) = fetch("GET", &url, &[], None);
        assert_eq!(status, 429);
        assert_eq!(header(&hdrs, "retry-after"), Some("1"));
    }
    assert_eq!(fetch("GET", &url, &[], None).0, 200);
    s.inject("*", "/", Fault::status(500).with_body("boom"));
    assert_eq!(fetch("GET", &url, &[], None).2, "boom");
    s.clear_faults();
    assert_eq!(fetch("GET", &url, &[], None).0, 200);
}

#[test]
fn delayed_requests_run_in_parallel() {
    let s = echo();
    s.inject("GET", "/slow", Fault::delay(300));
    let url = format!("{}/slow", s.url());
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || fetch("GET", &url, &[], None).0)
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().expect("thread"), 200);
    }
}

#[test]
fn body_faults() {
    let s = echo();
    let url = format!("{}/q?cursor=5&limit=2", s.url());
    s.inject("GET", "/q", Fault::stale_cursor().times(1));
    assert!(
        fetch("GET", &url, &[], None)
            .2
            .contains("\"query\":\"limit=2\"")
    );
    s.inject("GET", "/q", Fault::malformed_json().times(1));
    let (status, _, body) = fetch("GET", &url, &[], None);
    assert_eq!(status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
    s.inject("GET", "/q", Fault::truncated().times(1));
    let full = fetch("GET", &format!("{}/r?cursor=5&limit=2", s.url()), &[], None).2;
    let cut = fetch("GET", &url, &[], None).2;
    assert_eq!(cut.len(), full.len() / 2);
    s.inject("GET", "/q", Fault::oversized(4096).times(1));
    let big = fetch("GET", &url, &[], None).2;
    assert_eq!(big.len(), 4096);
    assert!(serde_json::from_str::<serde_json::Value>(&big).is_ok());
}
