//! Fault descriptions for the simulated servers: what to do instead of (or before) answering
//! normally. Plain data with builder-style constructors; applying a fault is the server's job.

use std::time::Duration;

/// How a fault changes the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Reply with `status`/`body`/`headers` instead of the real handler. Without a body the
    /// upstream's real error body for that status is used.
    Status,
    /// Only sleep `delay`, then serve normally (timeouts, benchmark latency).
    Delay,
    /// 200 with a body that is not JSON.
    MalformedJson,
    /// 200 with the real body cut in half.
    Truncated,
    /// 200 with a valid JSON body of exactly this many bytes.
    Oversized(usize),
    /// Ignore the `cursor` query parameter (a cursor that never advances). Meant for the
    /// LambdaTest jobs listing.
    StaleCursor,
}

/// A fault to inject on matching requests. `delay` applies before any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub status: Option<u16>,
    pub body: Option<String>,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
    /// Apply to this many matching requests, then behave normally; `None` = always.
    pub times: Option<u32>,
    pub kind: FaultKind,
}

impl Fault {
    fn of(kind: FaultKind) -> Fault {
        Fault {
            status: None,
            body: None,
            headers: Vec::new(),
            delay: Duration::ZERO,
            times: None,
            kind,
        }
    }

    /// Answer with this status and the upstream's real error body for it.
    pub fn status(status: u16) -> Fault {
        Fault {
            status: Some(status),
            ..Fault::of(FaultKind::Status)
        }
    }

    /// Sleep `ms` milliseconds, then serve normally.
    pub fn delay(ms: u64) -> Fault {
        Fault::of(FaultKind::Delay).with_delay(Duration::from_millis(ms))
    }

    /// 200 with a body that is not JSON.
    pub fn malformed_json() -> Fault {
        Fault::of(FaultKind::MalformedJson)
    }

    /// 200 with the real body cut in half.
    pub fn truncated() -> Fault {
        Fault::of(FaultKind::Truncated)
    }

    /// 200 with a valid JSON body of `bytes` bytes.
    pub fn oversized(bytes: usize) -> Fault {
        Fault::of(FaultKind::Oversized(bytes))
    }

    /// Paging parameters (`cursor`, `continuationToken`, `page`) are ignored: every page is
    /// the first page.
    pub fn stale_cursor() -> Fault {
        Fault::of(FaultKind::StaleCursor)
    }

    /// Apply only to the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Fault {
        self.times = Some(n);
        self
    }

    /// Adds a response header (e.g. `Retry-After`).
    pub fn with_header(mut self, name: &str, value: &str) -> Fault {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// Replaces the error body (sent as text).
    pub fn with_body(mut self, body: &str) -> Fault {
        self.body = Some(body.to_string());
        self
    }

    /// Sleeps this long before answering (combines with any kind).
    pub fn with_delay(mut self, delay: Duration) -> Fault {
        self.delay = delay;
        self
    }
}
