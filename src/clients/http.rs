//! The one HTTP layer every API client goes through: a global timeout, bounded retries with
//! backoff for GETs (connect errors, 429, 502, 503, 504; `Retry-After` honoured), a body size
//! cap, and errors that name the API, method, URL, status and a short body excerpt.
//! It only reads: there is no way to send a mutating request through `Reader`. A `Reader` speaks
//! HTTP over TCP or, for the Docker daemon, over a unix socket (`unix_socket`). The one POST,
//! `post_for_token` (`http_token.rs`), is an OAuth token exchange (it reads a credential, it
//! changes nothing). The GET loop is `http_retry.rs`, the errors `http_error.rs`, the wire
//! details (URLs shown, bodies under the cap) `http_wire.rs`.

use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::load::HttpSettings;
use crate::secret::{Redactor, Secret};

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

#[path = "http_error.rs"]
mod error;
#[path = "http_retry.rs"]
mod retry;
#[path = "http_stream.rs"]
mod stream;
#[path = "http_token.rs"]
mod token;
#[path = "http_wire.rs"]
mod wire;

pub(crate) use error::ERROR_EXCERPT;
pub use error::{ApiError, Failure};
pub(crate) use retry::failed_before_sending;
pub use wire::encode_component;
pub(crate) use wire::{display_url, headers_of, read_body};

#[cfg(test)]
#[path = "http_tests.rs"]
mod tests;
