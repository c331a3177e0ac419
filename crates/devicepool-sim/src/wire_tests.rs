//! Tests of the fakes' HTTP transport over raw sockets: bursts of kept-alive connections,
//! framing of bodies in both directions, and shutdown. Read timeouts only detect hangs.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use super::*;

/// Answers every request with its method, target and body.
fn echo() -> (Wire, SocketAddr) {
    let handler: Handler = Arc::new(|req: Request| {
        let body = format!(
            "{} {}?{} {}",
            req.method,
            req.path,
            req.query,
            String::from_utf8_lossy(&req.body)
        );
        match req.path.as_str() {
            "/empty" => Response::text(204, "ignored"),
            _ => Response::text(200, &body).with_header("X-Seen", "yes"),
        }
    });
    Wire::tcp(handler).expect("listen")
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    // Far above any real answer time: this only turns a hang into a failure.
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream
}

/// Reads one response: status, headers, body (by Content-Length).
fn read_answer(reader: &mut impl BufRead) -> (u16, Vec<(String, String)>, String) {
    let mut line = String::new();
    reader.read_line(&mut line).expect("status line");
    let status = line
        .split(' ')
        .nth(1)
        .expect("status")
        .parse()
        .expect("code");
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (n, v) = line.split_once(':').expect("header line");
        headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().expect("length"));
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("body");
    (status, headers, String::from_utf8(body).expect("utf-8"))
}

fn has(headers: &[(String, String)], name: &str, value: &str) -> bool {
    headers.iter().any(|(n, v)| n == name && v == value)
}

/// tiny_http 0.12 left some of these connections unanswered until another one closed.
#[test]
fn a_burst_of_kept_alive_connections_is_answered_in_full() {
    let (_wire, addr) = echo();
    for _ in 0..20 {
        let clients = 12;
        let start = Arc::new(Barrier::new(clients));
        let done = Arc::new(Barrier::new(clients));
        let threads: Vec<_> = (0..clients)
            .map(|i| {
                let (start, done) = (Arc::clone(&start), Arc::clone(&done));
                std::thread::spawn(move || {
                    let mut stream = connect(addr);
                    start.wait();
                    write!(stream, "GET /n/{i} HTTP/1.1\r\nHost: x\r\n\r\n").expect("send");
                    let answer = read_answer(&mut BufReader::new(&stream));
                    // Every connection stays open until all have their answer.
                    done.wait();
                    answer
                })
            })
            .collect();
        for (i, t) in threads.into_iter().enumerate() {
            let (status, _, body) = t.join().expect("client");
            assert_eq!((status, body), (200, format!("GET /n/{i}? ")));
        }
    }
}

#[test]
fn one_connection_carries_many_requests_with_both_body_framings() {
    let (_wire, addr) = echo();
    let mut stream = connect(addr);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    stream
        .write_all(b"POST /a?x=1 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello")
        .expect("send");
    let (status, headers, body) = read_answer(&mut reader);
    assert_eq!((status, body.as_str()), (200, "POST /a?x=1 hello"));
    assert!(has(&headers, "x-seen", "yes"));
    stream
        .write_all(b"PUT /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
        .expect("send");
    assert_eq!(read_answer(&mut reader).2, "PUT /b? abcde");
    stream
        .write_all(b"GET /c HTTP/1.1\r\nConnection: close\r\n\r\n")
        .expect("send");
    let (_, headers, body) = read_answer(&mut reader);
    assert_eq!(body, "GET /c? ");
    assert!(has(&headers, "connection", "close"));
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).expect("eof");
    assert!(
        rest.is_empty(),
        "the server closed after `Connection: close`"
    );
}

#[test]
fn no_content_and_head_answers_carry_no_body() {
    let (_wire, addr) = echo();
    let mut stream = connect(addr);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    stream
        .write_all(
            b"GET /empty HTTP/1.1\r\n\r\nHEAD /h HTTP/1.1\r\n\r\nGET /after HTTP/1.1\r\n\r\n",
        )
        .expect("send");
    let (status, headers, body) = read_answer(&mut reader);
    assert_eq!((status, body.as_str()), (204, ""));
    assert!(!headers.iter().any(|(n, _)| n == "content-length"));
    // HEAD states the length of the body it does not send; the next answer follows at once.
    let mut line = String::new();
    reader.read_line(&mut line).expect("status");
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    let mut head_length = None;
    loop {
        line.clear();
        reader.read_line(&mut line).expect("header");
        if line.trim_end().is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            head_length = Some(v.trim().to_string());
        }
    }
    assert_eq!(head_length.as_deref(), Some("9"), "length of `HEAD /h? `");
    assert_eq!(read_answer(&mut reader).2, "GET /after? ");
}

#[test]
fn a_malformed_request_gets_400_and_the_connection_ends() {
    let (_wire, addr) = echo();
    for bad in [
        &b"NONSENSE\r\n\r\n"[..],
        b"GET /x HTTP/1.1\r\nno colon here\r\n\r\n",
        b"POST /x HTTP/1.1\r\nContent-Length: ten\r\n\r\n",
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ] {
        let mut stream = connect(addr);
        stream.write_all(bad).expect("send");
        let mut reader = BufReader::new(&stream);
        let (status, _, body) = read_answer(&mut reader);
        assert_eq!(status, 400, "{body}");
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).expect("eof");
        assert!(rest.is_empty());
    }
}

#[test]
fn dropping_the_listener_refuses_new_connections_and_closes_open_ones() {
    let (wire, addr) = echo();
    let mut stream = connect(addr);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    stream.write_all(b"GET /a HTTP/1.1\r\n\r\n").expect("send");
    assert_eq!(read_answer(&mut reader).0, 200);
    drop(wire);
    let mut rest = Vec::new();
    let closed = reader.read_to_end(&mut rest).map(|_| rest.is_empty());
    assert!(
        closed.unwrap_or(true),
        "the kept-alive connection was closed"
    );
    assert!(
        TcpStream::connect(addr).is_err(),
        "nothing listens any more"
    );
}

#[test]
fn a_unix_socket_listener_serves_and_removes_its_socket() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("d.sock");
    let handler: Handler = Arc::new(|req: Request| Response::text(200, &req.path));
    let wire = Wire::unix(&path, handler).expect("listen");
    let mut stream = std::os::unix::net::UnixStream::connect(&path).expect("connect");
    stream
        .write_all(b"GET /v1.41/_ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("send");
    assert_eq!(read_answer(&mut BufReader::new(&stream)).2, "/v1.41/_ping");
    drop(wire);
    assert!(!path.exists());
}

#[test]
fn a_handler_that_panics_answers_500_instead_of_leaving_the_client_waiting() {
    let handler: Handler = Arc::new(|req: Request| {
        assert!(req.path != "/boom", "the route fails");
        Response::text(200, "fine")
    });
    let (_wire, addr) = Wire::tcp(handler).expect("listen");
    let mut stream = connect(addr);
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    stream
        .write_all(b"GET /boom HTTP/1.1\r\n\r\nGET /ok HTTP/1.1\r\n\r\n")
        .expect("send");
    assert_eq!(read_answer(&mut reader).0, 500);
    assert_eq!(read_answer(&mut reader).2, "fine", "the connection goes on");
}

#[test]
fn a_chunk_size_near_u64_max_is_a_bad_request_not_a_panic() {
    let (_wire, addr) = echo();
    let mut stream = connect(addr);
    stream
        .write_all(
            b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\nffffffffffffffff\r\n",
        )
        .expect("send");
    let (status, _, body) = read_answer(&mut BufReader::new(&stream));
    assert_eq!(status, 400, "{body}");
}

#[test]
fn a_unix_listener_whose_socket_file_was_removed_still_stops() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("gone.sock");
    let handler: Handler = Arc::new(|_: Request| Response::text(200, "ok"));
    let wire = Wire::unix(&path, handler).expect("listen");
    std::fs::remove_file(&path).expect("remove");
    // Returns only once the acceptor thread has ended.
    drop(wire);
}
