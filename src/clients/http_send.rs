//! The one HTTP layer for mutating calls (POST, PUT, DELETE) of every executor: same timeout
//! and body cap as the readers, over TCP or a unix socket, and NO retry once a request may
//! have reached the server (only a failure to connect is retried). Every answered status is
//! handed back: what counts as success ("404 = already gone") is the executor's call.

use std::path::Path;
use std::time::Duration;

use crate::clients::http::{
    ApiError, ERROR_EXCERPT, Failure, agent_config, display_url, encode_component,
    failed_before_sending, read_body,
};
use crate::clients::request_stats;
use crate::load::HttpSettings;
use crate::lock::SendLog;
use crate::secret::Redactor;

/// An HTTP client for mutating calls.
#[derive(Clone)]
pub struct Writer {
    agent: ureq::Agent,
    retries: u32,
    backoff: Duration,
    max_body: u64,
    /// Scrubs known secrets out of error excerpts.
    redactor: Redactor,
    /// Where requests on their way are recorded (see `lock::SendLog`); none in the demo.
    sends: Option<SendLog>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    Empty,
    /// Sent as `application/json`.
    Json(String),
    /// Sent as `application/x-www-form-urlencoded`.
    Form(Vec<(String, String)>),
    /// Sent as the Prometheus text exposition format (`text/plain; version=0.0.4`).
    Exposition(String),
}

/// One mutating request: which API, method, URL, query, `Authorization` value and body.
pub struct Mutation<'a> {
    pub api: &'static str,
    pub method: &'static str,
    pub url: String,
    pub query: Vec<(&'a str, String)>,
    pub authorization: Option<&'a str>,
    pub payload: Payload,
}

/// What the server answered (any status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// How a removal ended: both are success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Removal {
    Removed,
    /// The server said it does not exist (any more): someone else removed it, or an earlier
    /// attempt did.
    AlreadyGone,
}

impl Writer {
    /// Makes `secret` (issued during the run: a new runner's token) known to this writer's
    /// redactor and every clone of it, so no later error quotes it, even in part.
    pub fn learn_secret(&self, secret: &crate::secret::Secret) {
        self.redactor.learn(secret);
    }

    pub fn new(settings: &HttpSettings, redactor: Redactor) -> Writer {
        Writer::with_agent(
            settings,
            redactor,
            agent_config(settings).build().new_agent(),
        )
    }

    /// A writer whose every connection goes to the unix socket at `path` (see
    /// `Reader::for_unix_socket`).
    pub fn for_unix_socket(settings: &HttpSettings, redactor: Redactor, path: &Path) -> Writer {
        let agent = crate::clients::unix_socket::agent(agent_config(settings), path);
        Writer::with_agent(settings, redactor, agent)
    }

    fn with_agent(settings: &HttpSettings, redactor: Redactor, agent: ureq::Agent) -> Writer {
        Writer {
            agent,
            retries: settings.retries,
            backoff: settings.backoff,
            max_body: settings.max_body_bytes,
            redactor,
            sends: None,
        }
    }

    /// The same writer, recording every request it sends in `sends`.
    pub fn recording_sends(mut self, sends: Option<SendLog>) -> Writer {
        self.sends = sends;
        self
    }

    /// Sends `m` once; again only if the connection failed before anything was sent.
    /// Any answer, whatever its status, is `Ok`.
    pub fn send(&self, m: &Mutation<'_>) -> Result<Answer, ApiError> {
        let target = with_query(&m.url, &m.query);
        let (content_type, body) = match &m.payload {
            Payload::Empty => (None, Vec::new()),
            Payload::Json(json) => (Some("application/json"), json.clone().into_bytes()),
            Payload::Exposition(text) => (
                Some("text/plain; version=0.0.4; charset=utf-8"),
                text.clone().into_bytes(),
            ),
            Payload::Form(pairs) => (
                Some("application/x-www-form-urlencoded"),
                form(pairs).into_bytes(),
            ),
        };
        let mut attempt = 0;
        let (mut response, started) = loop {
            let mut builder = ureq::http::Request::builder()
                .method(m.method)
                .uri(&target)
                .header("accept", "application/json");
            if let Some(content_type) = content_type {
                builder = builder.header("content-type", content_type);
            }
            if let Some(auth) = m.authorization {
                builder = builder.header("authorization", auth);
            }
            let request = builder
                .body(body.clone())
                .map_err(|e| self.fail(m, Failure::Transport(format!("bad request: {e}"))))?;
            tracing::trace!(api = m.api, method = m.method, url = %display_url(&m.url, &m.query), "send");
            if let Some(sends) = &self.sends
                && let Err(why) = sends.note()
            {
                return Err(self.fail(m, Failure::NotSent(why)));
            }
            let started = std::time::Instant::now();
            let sent = self.agent.run(request);
            if sent.is_err() {
                request_stats::record(m.api, started.elapsed(), true);
            }
            match sent {
                Ok(response) => break (response, started),
                Err(e) if attempt < self.retries && failed_before_sending(&e) => {
                    attempt += 1;
                    std::thread::sleep(self.backoff * 2u32.saturating_pow(attempt - 1));
                }
                Err(e) => return Err(self.fail(m, Failure::Transport(e.to_string()))),
            }
        };
        let status = response.status().as_u16();
        let body = read_body(&mut response, status, self.max_body);
        let failed = body.is_err() || request_stats::failed_status(status);
        request_stats::record(m.api, started.elapsed(), failed);
        let body = body.map_err(|f| self.fail(m, f))?;
        Ok(Answer { status, body })
    }

    /// The error for `m`, every message in it scrubbed of known secrets (a decoder's words
    /// may quote a value the server sent back).
    pub fn fail(&self, m: &Mutation<'_>, failure: Failure) -> ApiError {
        let failure = match failure {
            Failure::Status { status, excerpt } => Failure::Status {
                status,
                excerpt: self.redactor.redact(&excerpt),
            },
            Failure::Decode(message) => {
                request_stats::record_undecodable(m.api);
                Failure::Decode(self.redactor.redact(&message))
            }
            Failure::Protocol(message) => Failure::Protocol(self.redactor.redact(&message)),
            other => other,
        };
        ApiError {
            api: m.api,
            method: m.method,
            url: display_url(&m.url, &m.query),
            failure,
        }
    }

    /// The error for an answer that is a refusal, quoting `message` (the server's words,
    /// whole: they are redacted, then cut to one short line, here).
    pub fn refused(&self, m: &Mutation<'_>, answer: &Answer, message: &str) -> ApiError {
        let failure = Failure::Status {
            status: answer.status,
            excerpt: self.redactor.excerpt(message, ERROR_EXCERPT),
        };
        self.fail(m, failure)
    }

    /// The error for an answer that does not decode, quoting the start of `body` (redacted
    /// whole before it is cut).
    pub fn undecodable(&self, m: &Mutation<'_>, why: String, body: &str) -> ApiError {
        let shown = self.redactor.excerpt(body, ERROR_EXCERPT);
        self.fail(m, Failure::Decode(format!("{why} (body starts {shown:?})")))
    }
}

/// The server's words for a refusal: a JSON `message` (GitLab, Docker) or `error` (Grape
/// validation) string, else the body itself. Whole, not cut: only `Writer::refused` cuts,
/// after redacting.
pub fn server_message(body: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(v) if v["message"].is_string() => v["message"].as_str().unwrap_or_default().to_string(),
        Ok(v) if v["error"].is_string() => v["error"].as_str().unwrap_or_default().to_string(),
        _ => body.to_string(),
    }
}

fn form(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `url` with the query appended, values percent-encoded.
fn with_query(url: &str, query: &[(&str, String)]) -> String {
    let mut out = url.to_string();
    for (i, (key, value)) in query.iter().enumerate() {
        out.push(if i == 0 && !url.contains('?') {
            '?'
        } else {
            '&'
        });
        out.push_str(&format!(
            "{}={}",
            encode_component(key),
            encode_component(value)
        ));
    }
    out
}
