//! A loopback HTTP server for the simulated upstream APIs: binds `127.0.0.1:0`, serves every
//! request on its own thread, logs each request before faults apply, and applies injected faults.
//! It knows nothing about any particular API: routes and error shapes come from an [`Api`].

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use super::fault::{Fault, FaultKind};
use super::http::{Api, LoggedRequest, Request, Response};

struct Shared {
    log: Mutex<Vec<LoggedRequest>>,
    faults: Mutex<Vec<(String, String, Fault)>>,
}

/// A running loopback server; stops accepting when dropped.
pub struct SimServer {
    url: String,
    http: Arc<tiny_http::Server>,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SimServer {
    /// Binds `127.0.0.1:0` and starts serving `api`.
    pub fn start(api: Arc<dyn Api>) -> std::io::Result<SimServer> {
        let http = tiny_http::Server::http("127.0.0.1:0").map_err(std::io::Error::other)?;
        let addr = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("server is not listening on TCP"))?;
        let http = Arc::new(http);
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
        });
        let (h, s) = (Arc::clone(&http), Arc::clone(&shared));
        let acceptor = std::thread::Builder::new()
            .name(format!("sim-accept-{}", addr.port()))
            .spawn(move || accept(&h, &s, &api))?;
        Ok(SimServer {
            url: format!("http://{addr}"),
            http,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// Base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).clone()
    }

    /// Forgets the request log.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
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

impl Drop for SimServer {
    fn drop(&mut self) {
        self.http.unblock();
        if let Some(t) = self.acceptor.take() {
            let _ = t.join();
        }
    }
}

fn accept(http: &tiny_http::Server, shared: &Arc<Shared>, api: &Arc<dyn Api>) {
    while let Ok(mut raw) = http.recv() {
        let (shared, api) = (Arc::clone(shared), Arc::clone(api));
        let spawned = std::thread::Builder::new()
            .name("sim-request".into())
            .spawn(move || {
                let req = convert(&mut raw);
                let resp = serve(&shared, api.as_ref(), req);
                let mut out =
                    tiny_http::Response::from_data(resp.body).with_status_code(resp.status);
                for (n, v) in &resp.headers {
                    if let Ok(h) = tiny_http::Header::from_bytes(n.as_bytes(), v.as_bytes()) {
                        out.add_header(h);
                    }
                }
                // The client may have given up (timeout); nothing to do about it.
                let _ = raw.respond(out);
            });
        if spawned.is_err() {
            tracing::warn!("sim server could not spawn a request thread");
        }
    }
}

fn convert(raw: &mut tiny_http::Request) -> Request {
    let mut req = Request::new(raw.method().as_str(), raw.url());
    req.headers = raw
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_string(),
                h.value.as_str().to_string(),
            )
        })
        .collect();
    let _ = raw.as_reader().read_to_end(&mut req.body);
    req
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
                .filter(|p| p.split('=').next() != Some("cursor"))
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
