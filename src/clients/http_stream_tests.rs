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

/// A loopback server answering one request with `{"keep":7,"log":"<bytes x>"}` sent chunked
/// (no length announced), as a proxy in front of a server may; returns its URL.
fn chunked_once(bytes: usize) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/result", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap() > 2 {
            line.clear();
        }
        let mut out = std::io::BufWriter::new(stream);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
        out.write_all(head.as_bytes()).unwrap();
        let mut chunk = |data: &[u8]| -> std::io::Result<()> {
            write!(out, "{:x}\r\n", data.len())?;
            out.write_all(data)?;
            out.write_all(b"\r\n")
        };
        // The client may stop reading at its cap: a failed write ends the answer.
        let filler = vec![b'x'; 64 * 1024];
        let body = chunk(br#"{"keep":7,"log":""#)
            .and_then(|()| (0..bytes / filler.len()).try_for_each(|_| chunk(&filler)))
            .and_then(|()| chunk(br#""}"#))
            .and_then(|()| out.write_all(b"0\r\n\r\n"));
        drop(body);
    });
    url
}

#[test]
fn a_chunked_body_is_stopped_at_the_cap_and_read_under_it() {
    let reader = reader(1024);
    let get = |url: String| Get {
        api: "test",
        url,
        query: Vec::new(),
        authorization: None,
    };
    let over = reader.get_json_streamed_or_no_content(&get(chunked_once(4_000_000)), 1_000_000);
    assert_eq!(failure(over), Failure::TooLarge(1_000_000));
    let under: Option<Kept> = reader
        .get_json_streamed_or_no_content(&get(chunked_once(4_000_000)), 5_000_000)
        .expect("decoded");
    assert_eq!(under.map(|k| k.keep), Some(7));
}

#[test]
fn a_streamed_read_is_counted_and_an_undecodable_one_as_an_error() {
    use crate::clients::request_stats;
    let server = SimServer::start(Arc::new(Logs(100_000))).unwrap();
    server.inject("GET", "/bad", Fault::malformed_json());
    let reader = reader(1024);
    let counted = |path: &str| Get {
        api: "streamed-count-test",
        ..get(&server, path)
    };
    let read = reader.get_json_streamed_or_no_content::<Kept>(&counted("/result"), 1_000_000);
    assert!(read.is_ok());
    let bad = reader.get_json_streamed_or_no_content::<Kept>(&counted("/bad"), 1_000_000);
    assert!(bad.is_err());
    let stats = request_stats::snapshot()["streamed-count-test"];
    assert_eq!((stats.requests, stats.errors), (2, 1));
}
