//! A simulated upstream on loopback: serves an [`Api`] over the transport in `wire.rs`
//! (TCP on `127.0.0.1:0`, or a unix socket for the Docker daemon), logs each request before
//! faults apply, and applies injected faults. It knows nothing about any particular API:
//! routes and error shapes come from the [`Api`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::fault::{Fault, FaultKind};
use super::http::{Api, LoggedRequest, Request, Response};
use super::wire::{Handler, Wire};

struct Shared {
    log: Mutex<Vec<LoggedRequest>>,
    /// Each answer's request path and body bytes, in the order answered.
    sent: Mutex<Vec<(String, usize)>>,
    faults: Mutex<Vec<(String, String, Fault)>>,
}

/// A running loopback server; stops accepting and closes its connections when dropped.
pub struct SimServer {
    url: String,
    shared: Arc<Shared>,
    _wire: Wire,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SimServer {
    /// Binds `127.0.0.1:0` and starts serving `api`.
    pub fn start(api: Arc<dyn Api>) -> std::io::Result<SimServer> {
        let (shared, handler) = handler(api);
        let (wire, addr) = Wire::tcp(handler)?;
        Ok(SimServer {
            url: format!("http://{addr}"),
            shared,
            _wire: wire,
        })
    }

    /// Listens on a new unix socket at `path` (removed again when the server drops) and
    /// starts serving `api`. `url()` is then `http://localhost`, as clients of such sockets
    /// write it.
    pub fn start_unix(api: Arc<dyn Api>, path: &std::path::Path) -> std::io::Result<SimServer> {
        let (shared, handler) = handler(api);
        Ok(SimServer {
            url: "http://localhost".into(),
            shared,
            _wire: Wire::unix(path, handler)?,
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:40123` (`http://localhost` on a unix socket).
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Each answer so far as (request path, body bytes sent; headers not counted), in the
    /// order answered: what a run cost in transfer.
    pub fn response_bytes(&self) -> Vec<(String, usize)> {
        lock(&self.shared.sent).clone()
    }

    /// Forgets the request log and the answers' sizes.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
        lock(&self.shared.sent).clear();
    }

    /// Applies `fault` to requests whose method matches (`*` = any) and whose raw or
    /// percent-decoded path starts with `path_prefix`. Earlier faults win.
    pub fn inject(&self, method: &str, path_prefix: &str, fault: Fault) {
        lock(&self.shared.faults).push((method.to_ascii_uppercase(), path_prefix.into(), fault));
    }

    /// Removes every injected fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }
}

/// The request log and fault list, and the handler that serves `api` through them.
fn handler(api: Arc<dyn Api>) -> (Arc<Shared>, Handler) {
    let shared = Arc::new(Shared {
        log: Mutex::new(Vec::new()),
        sent: Mutex::new(Vec::new()),
        faults: Mutex::new(Vec::new()),
    });
    let s = Arc::clone(&shared);
    let handle = move |req: Request| {
        let path = req.path.clone();
        let answer = serve(&s, api.as_ref(), req);
        lock(&s.sent).push((path, answer.body.len()));
        answer
    };
    (shared, Arc::new(handle))
}

/// Logs the request, picks the first active matching fault and produces the response.
fn serve(shared: &Shared, api: &dyn Api, mut req: Request) -> Response {
    lock(&shared.log).push(req.clone());
    let fault = take_fault(shared, &req);
    let Some(fault) = fault else {
        return api.handle(&req);
    };
    if !fault.delay.is_zero() {
        std::thread::sleep(fault.delay);
    }
    match fault.kind {
        FaultKind::Delay => api.handle(&req),
        FaultKind::Status => {
            let status = fault.status.unwrap_or(500);
            let mut resp = match &fault.body {
                Some(body) => Response::text(status, body),
                None => api.error(status, &req),
            };
            resp.headers.extend(fault.headers.iter().cloned());
            resp
        }
        FaultKind::MalformedJson => ok_with(
            b"<html><head><title>502 Bad Gateway</title></head><body>upstream".to_vec(),
            &fault,
        ),
        FaultKind::Truncated => {
            let mut body = api.handle(&req).body;
            body.truncate(body.len() / 2);
            ok_with(body, &fault)
        }
        FaultKind::Oversized(n) => ok_with(oversized_body(n), &fault),
        FaultKind::StaleCursor => {
            let kept: Vec<&str> = req
                .query
                .split('&')
                .filter(|p| {
                    let name = p.split('=').next();
                    // Cursor paging (LambdaTest), continuation tokens (Taskcluster) and page
                    // numbers (GitLab) all restart from the first page.
                    !matches!(name, Some("cursor" | "continuationToken" | "page"))
                })
                .collect();
            req.query = kept.join("&");
            api.handle(&req)
        }
    }
}

fn take_fault(shared: &Shared, req: &Request) -> Option<Fault> {
    let decoded = req.decoded_path();
    let mut faults = lock(&shared.faults);
    let (_, _, fault) = faults.iter_mut().find(|(m, prefix, f)| {
        (m == "*" || *m == req.method)
            && (req.path.starts_with(prefix.as_str()) || decoded.starts_with(prefix.as_str()))
            && f.times != Some(0)
    })?;
    if let Some(n) = fault.times.as_mut() {
        *n -= 1;
    }
    Some(fault.clone())
}

fn ok_with(body: Vec<u8>, fault: &Fault) -> Response {
    let mut resp = Response {
        status: 200,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body,
    };
    resp.headers.extend(fault.headers.iter().cloned());
    resp
}

/// Valid JSON of exactly `n` bytes (or `n` spaces when `n` is too small for an object).
fn oversized_body(n: usize) -> Vec<u8> {
    const HEAD: &str = "{\"data\":[],\"padding\":\"";
    const TAIL: &str = "\"}";
    if n < HEAD.len() + TAIL.len() {
        return vec![b' '; n];
    }
    let mut body = Vec::with_capacity(n);
    body.extend_from_slice(HEAD.as_bytes());
    body.resize(n - TAIL.len(), b'x');
    body.extend_from_slice(TAIL.as_bytes());
    body
}

#[cfg(test)]
#[path = "server_tests.rs"]
mod tests;
