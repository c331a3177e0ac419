//! The one HTTP layer every API client goes through: a global timeout, bounded retries with
//! backoff for GETs (connect errors, 429, 502, 503, 504; `Retry-After` honoured), a body size
//! cap, and errors that name the API, method, URL, status and a short body excerpt.
//! It only reads: there is no way to send a mutating request through `Reader`. A `Reader` speaks
//! HTTP over TCP or, for the Docker daemon, over a unix socket (`unix_socket`). The one POST,
//! `post_for_token`, is an OAuth token exchange (it reads a credential, it changes nothing).

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::request_stats;
use crate::load::HttpSettings;
use crate::secret::{Cut, Redactor, Secret};

/// Longest `Retry-After` wait honoured; a longer one fails the request instead of stalling
/// the run.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// How much of an error body a message quotes (after redaction: see `Redactor::excerpt`).
pub(crate) const ERROR_EXCERPT: Cut = Cut {
    chars: 200,
    fold_whitespace: true,
};

/// A read-only HTTP client shared by all sources.
#[derive(Clone)]
pub struct Reader {
    agent: ureq::Agent,
    retries: u32,
    backoff: Duration,
    max_body: u64,
    /// Scrubs secrets an API might echo back in an error body.
    redactor: Redactor,
}

/// What went wrong talking to an API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The API answered with an error status.
    Status { status: u16, excerpt: String },
    /// No answer: connection refused, DNS, timeout, reset.
    Transport(String),
    /// The answer was not what the contract says (bad JSON, missing fields).
    Decode(String),
    /// The body was larger than `max_body_bytes`.
    TooLarge(u64),
    /// The answers were well-formed but inconsistent (e.g. a cursor that does not advance).
    Protocol(String),
    /// Replayed from a recorded snapshot: the whole message as it was shown then.
    Recorded(String),
    /// Never sent: the run's lease on the lock is lost or about to run out (the reason).
    NotSent(String),
}

/// An API call that failed, with everything an operator needs and no credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub api: &'static str,
    pub method: &'static str,
    pub url: String,
    pub failure: Failure,
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// The error for an answer whose body does not decode as `api`'s schema (`message` says
    /// why, already redacted), counted as a failed request of `api` in the run's figures.
    pub(crate) fn undecodable(
        api: &'static str,
        method: &'static str,
        url: String,
        message: String,
    ) -> Self {
        request_stats::record_undecodable(api);
        ApiError {
            api,
            method,
            url,
            failure: Failure::Decode(message),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Failure::Recorded(m) = &self.failure {
            return write!(f, "{m}");
        }
        write!(f, "{}: {} {}: ", self.api, self.method, self.url)?;
        match &self.failure {
            Failure::Status { status, excerpt } if excerpt.is_empty() => write!(f, "HTTP {status}"),
            Failure::Status { status, excerpt } => write!(f, "HTTP {status}: {excerpt}"),
            Failure::Transport(m) => write!(f, "no response: {m}"),
            Failure::Decode(m) => write!(f, "unexpected response: {m}"),
            Failure::TooLarge(limit) => write!(f, "response body over {limit} bytes"),
            Failure::Protocol(m) | Failure::Recorded(m) => write!(f, "{m}"),
            Failure::NotSent(m) => write!(f, "not sent: {m}"),
        }
    }
}

/// Whether a failed attempt is worth repeating: `None` = give up, `Some(None)` = after the
/// usual backoff, `Some(Some(d))` = after `d`.
type Retry = Option<Option<Duration>>;

/// One request to make: which API, the URL, and an optional `Authorization` value.
pub struct Get<'a> {
    pub api: &'static str,
    pub url: String,
    pub query: Vec<(&'a str, String)>,
    pub authorization: Option<&'a str>,
}

/// A successful GET: the decoded body and the response headers (names lower-case).
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub body: T,
    pub headers: Vec<(String, String)>,
}

impl<T> Page<T> {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Status, headers and body (as read, text by default) of an answer.
type Answer<B = String> = (u16, Vec<(String, String)>, B);

/// What a GET makes of a success answer's body, given the response and its status.
type SuccessBody<'a, B> =
    dyn Fn(&mut ureq::http::Response<ureq::Body>, u16) -> Result<B, Failure> + 'a;

/// The agent configuration every client shares: one global timeout, statuses are answers.
pub(crate) fn agent_config(
    settings: &HttpSettings,
) -> ureq::config::ConfigBuilder<ureq::typestate::AgentScope> {
    ureq::Agent::config_builder()
        .timeout_global(Some(settings.timeout))
        .http_status_as_error(false)
        .user_agent(concat!("devicepool/", env!("CARGO_PKG_VERSION")))
}

impl Reader {
    pub fn new(settings: &HttpSettings, redactor: Redactor) -> Self {
        Self::with_agent(
            settings,
            redactor,
            agent_config(settings).build().new_agent(),
        )
    }

    /// A reader whose every connection goes to the unix socket at `path` (the Docker
    /// daemon's); URLs then look like `http://localhost/v1.41/containers/json`.
    pub fn for_unix_socket(
        settings: &HttpSettings,
        redactor: Redactor,
        path: &std::path::Path,
    ) -> Self {
        let agent = super::unix_socket::agent(agent_config(settings), path);
        Self::with_agent(settings, redactor, agent)
    }

    fn with_agent(settings: &HttpSettings, redactor: Redactor, agent: ureq::Agent) -> Self {
        Self {
            agent,
            retries: settings.retries,
            backoff: settings.backoff,
            max_body: settings.max_body_bytes,
            redactor,
        }
    }

    /// This reader with its body cap lowered to `cap` bytes (never raised above
    /// `max_body_bytes`): for a read whose answer may be far larger than the part used.
    pub fn capped(&self, cap: u64) -> Reader {
        let mut reader = self.clone();
        reader.max_body = reader.max_body.min(cap);
        reader
    }

    /// Makes `secret` (issued during the run, an access token) known to this reader's
    /// redactor and every clone of it, so no later error quotes it.
    pub fn learn_secret(&self, secret: &Secret) {
        self.redactor.learn(secret);
    }

    /// GETs a JSON document, retrying what is worth retrying.
    pub fn get_json<T: DeserializeOwned>(&self, get: &Get<'_>) -> Result<T, ApiError> {
        let (_, _, body) = self.get_text(get)?;
        self.decode(get, &body)
    }

    /// Like `get_json`, with the `Authorization` value made afresh by `sign` for every
    /// attempt: OAuth 1.0a wants a new nonce and timestamp each time, so a retry must not
    /// replay the first attempt's header.
    pub fn get_json_signed<T: DeserializeOwned>(
        &self,
        get: &Get<'_>,
        sign: &dyn Fn() -> Secret,
    ) -> Result<T, ApiError> {
        let (_, _, body) = self.get_text_signed(get, Some(sign))?;
        self.decode(get, &body)
    }

    /// Like `get_json`, also returning the response headers (pagination headers, for one).
    pub fn get_json_page<T: DeserializeOwned>(&self, get: &Get<'_>) -> Result<Page<T>, ApiError> {
        let (_, headers, body) = self.get_text(get)?;
        Ok(Page {
            body: self.decode(get, &body)?,
            headers,
        })
    }

    /// GETs, retrying what is worth retrying, and returns only the headers of the 2xx answer
    /// (Docker's `/_ping` says its API version in a header; the body is `OK`).
    pub fn get_headers(&self, get: &Get<'_>) -> Result<Vec<(String, String)>, ApiError> {
        let (_, headers, _) = self.get_text(get)?;
        Ok(headers)
    }

    /// Like `get_json`, but `204 No Content` is an answer: `Ok(None)` (APIs such as
    /// Testflinger say "no such result yet" that way instead of 404).
    pub fn get_json_or_no_content<T: DeserializeOwned>(
        &self,
        get: &Get<'_>,
    ) -> Result<Option<T>, ApiError> {
        match self.get_text(get)? {
            (204, _, _) => Ok(None),
            (_, _, body) => self.decode(get, &body).map(Some),
        }
    }

    /// POSTs an empty body with `authorization` (e.g. HTTP Basic client credentials) to an
    /// OAuth token endpoint and decodes the JSON answer. Only for token exchanges: retried
    /// only when the connection failed before any request was sent.
    pub fn post_for_token<T: DeserializeOwned>(
        &self,
        api: &'static str,
        url: &str,
        authorization: &str,
    ) -> Result<T, ApiError> {
        let fail = |failure| ApiError {
            api,
            method: "POST",
            url: display_url(url, &[]),
            failure,
        };
        let mut attempt = 0;
        let (mut response, started) = loop {
            let request = self
                .agent
                .post(url)
                .header("accept", "application/json")
                .header("authorization", authorization);
            let started = std::time::Instant::now();
            let sent = request.send_empty();
            if sent.is_err() {
                request_stats::record(api, started.elapsed(), true);
            }
            match sent {
                Ok(response) => break (response, started),
                Err(ureq::Error::ConnectionFailed) if attempt < self.retries => {
                    attempt += 1;
                    std::thread::sleep(self.backoff * 2u32.saturating_pow(attempt - 1));
                }
                Err(e) => return Err(fail(Failure::Transport(e.to_string()))),
            }
        };
        let status = response.status().as_u16();
        let body = read_body(&mut response, status, self.max_body);
        let failed = body.is_err() || !(200..300).contains(&status);
        request_stats::record(api, started.elapsed(), failed);
        let body = body.map_err(fail)?;
        if !(200..300).contains(&status) {
            return Err(fail(Failure::Status {
                status,
                excerpt: self.redactor.excerpt(&body, ERROR_EXCERPT),
            }));
        }
        // A token reply is a secret from end to end: never quote it, not even in part.
        serde_json::from_str(&body).map_err(|e| {
            ApiError::undecodable(
                api,
                "POST",
                display_url(url, &[]),
                format!("{e} (the token reply is not quoted)"),
            )
        })
    }

    /// GETs with retries; returns the success status, headers and body.
    fn get_text(&self, get: &Get<'_>) -> Result<Answer, ApiError> {
        self.get_text_signed(get, None)
    }

    /// `get_text`, with `sign` (when given) making the `Authorization` value of each attempt.
    fn get_text_signed(
        &self,
        get: &Get<'_>,
        sign: Option<&dyn Fn() -> Secret>,
    ) -> Result<Answer, ApiError> {
        let read = |response: &mut ureq::http::Response<ureq::Body>, status| {
            read_body(response, status, self.max_body)
        };
        self.get_with(get, sign, &read)
    }

    /// GETs with retries, `read` taking a success answer's body (a failure of it is not
    /// retried); returns the success status, headers and what `read` made of the body.
    fn get_with<B>(
        &self,
        get: &Get<'_>,
        sign: Option<&dyn Fn() -> Secret>,
        read: &SuccessBody<'_, B>,
    ) -> Result<Answer<B>, ApiError> {
        let shown_url = display_url(&get.url, &get.query);
        let fail = |failure| ApiError {
            api: get.api,
            method: "GET",
            url: shown_url.clone(),
            failure,
        };
        let mut attempt = 0;
        loop {
            let signed = sign.map(|sign| sign());
            let authorization = signed.as_ref().map(Secret::expose).or(get.authorization);
            let started = std::time::Instant::now();
            let outcome = self.try_once(get, authorization, read);
            request_stats::record(get.api, started.elapsed(), outcome.is_err());
            let (failure, wait) = match outcome {
                Ok(answer) => return Ok(answer),
                Err(outcome) => outcome,
            };
            let Some(wait) = wait.filter(|_| attempt < self.retries) else {
                return Err(fail(failure));
            };
            attempt += 1;
            let wait = wait.unwrap_or(self.backoff * 2u32.saturating_pow(attempt - 1));
            tracing::debug!(api = get.api, url = %shown_url, attempt, wait_ms = wait.as_millis() as u64, "retrying: {}", fail(failure.clone()));
            std::thread::sleep(wait);
        }
    }

    /// One attempt. On failure, also says whether to retry: `None` = give up,
    /// `Some(None)` = retry after the usual backoff, `Some(Some(d))` = retry after `d`.
    fn try_once<B>(
        &self,
        get: &Get<'_>,
        authorization: Option<&str>,
        read: &SuccessBody<'_, B>,
    ) -> Result<Answer<B>, (Failure, Retry)> {
        let mut request = self.agent.get(&get.url);
        for (key, value) in &get.query {
            request = request.query(*key, value);
        }
        request = request.header("accept", "application/json");
        if let Some(auth) = authorization {
            request = request.header("authorization", auth);
        }
        tracing::trace!(api = get.api, url = %display_url(&get.url, &get.query), "GET");
        let mut response = match request.call() {
            Ok(response) => response,
            Err(e) => {
                // A GET is idempotent: a connection that failed or was reset (a kept-alive
                // one the server closed, say) is retried on a fresh one. A timeout is not
                // (with only a global timeout set, ureq reports every one as `Global`): a
                // source that stalls is held after one timeout instead of several.
                let retry = matches!(
                    e,
                    ureq::Error::ConnectionFailed | ureq::Error::Io(_) | ureq::Error::HostNotFound
                );
                return Err((Failure::Transport(e.to_string()), retry.then_some(None)));
            }
        };
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        if (200..300).contains(&status) {
            let body = read(&mut response, status).map_err(|f| (f, None))?;
            return Ok((status, headers_of(&response), body));
        }
        let body = read_body(&mut response, status, self.max_body).map_err(|f| (f, None))?;
        let failure = Failure::Status {
            status,
            excerpt: self.redactor.excerpt(&body, ERROR_EXCERPT),
        };
        let retry = match status {
            429 => match retry_after {
                Some(wait) if wait > MAX_RETRY_AFTER => None,
                Some(wait) => Some(Some(wait)),
                None => Some(None),
            },
            502..=504 => match retry_after {
                Some(wait) if wait > MAX_RETRY_AFTER => None,
                wait => Some(wait),
            },
            _ => None,
        };
        Err((failure, retry))
    }
}

/// True when `e` happened before any byte of the request could reach the server (nothing to
/// connect to, refused, no such socket, connect timeout): the only failures after which a
/// mutation may be sent again.
pub(crate) fn failed_before_sending(e: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    match e {
        ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::Timeout(ureq::Timeout::Connect | ureq::Timeout::Resolve) => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::NotFound
                | ErrorKind::AddrNotAvailable
                | ErrorKind::HostUnreachable
                | ErrorKind::NetworkUnreachable
        ),
        _ => false,
    }
}

/// The response headers as (lower-case name, value) pairs; values that are not text are
/// dropped.
pub(crate) fn headers_of(response: &ureq::http::Response<ureq::Body>) -> Vec<(String, String)> {
    response
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
}

/// Decodes a success body, naming the request on failure.
impl Reader {
    /// Parses a success body; a failure quotes its start, secrets redacted.
    fn decode<T: DeserializeOwned>(&self, get: &Get<'_>, body: &str) -> Result<T, ApiError> {
        serde_json::from_str(body).map_err(|e| {
            ApiError::undecodable(
                get.api,
                "GET",
                display_url(&get.url, &get.query),
                format!(
                    "{e} (body starts {:?})",
                    self.redactor.excerpt(body, ERROR_EXCERPT)
                ),
            )
        })
    }
}

/// Reads a response body under the size cap. An unreadable error body reads as empty (the
/// status says enough); an unreadable success body is a transport failure.
pub(crate) fn read_body(
    response: &mut ureq::http::Response<ureq::Body>,
    status: u16,
    max_body: u64,
) -> Result<String, Failure> {
    match response
        .body_mut()
        .with_config()
        .limit(max_body)
        .read_to_string()
    {
        Ok(body) => Ok(body),
        Err(ureq::Error::BodyExceedsLimit(limit)) => Err(Failure::TooLarge(limit)),
        Err(e) if (200..300).contains(&status) => {
            Err(Failure::Transport(format!("reading body: {e}")))
        }
        Err(_) => Ok(String::new()),
    }
}

/// The URL as shown in messages: query included, any `user:password@` removed.
pub(crate) fn display_url(url: &str, query: &[(&str, String)]) -> String {
    let mut shown = match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if at > scheme && !url[scheme + 3..at].contains('/') => {
            format!("{}{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    };
    for (i, (key, value)) in query.iter().enumerate() {
        shown.push(if i == 0 && !url.contains('?') {
            '?'
        } else {
            '&'
        });
        shown.push_str(&format!("{key}={}", encode_component(value)));
    }
    shown
}

/// Percent-encodes one path segment or query value (everything but RFC 3986 unreserved).
pub fn encode_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[path = "http_stream.rs"]
mod stream;

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
