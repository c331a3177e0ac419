//! The one HTTP layer every API client goes through: a global timeout, bounded retries with
//! backoff for GETs (connect errors, 429, 502, 503, 504; `Retry-After` honoured), a body size
//! cap, and errors that name the API, method, URL, status and a short body excerpt.
//! It only reads: there is no way to send a mutating request through `Reader`.

use std::fmt;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::load::HttpSettings;
use crate::secret::Redactor;

/// Longest `Retry-After` wait honoured; a longer one fails the request instead of stalling
/// the run.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Characters of an error body kept in messages.
const EXCERPT_CHARS: usize = 200;

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

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} {}: ", self.api, self.method, self.url)?;
        match &self.failure {
            Failure::Status { status, excerpt } if excerpt.is_empty() => write!(f, "HTTP {status}"),
            Failure::Status { status, excerpt } => write!(f, "HTTP {status}: {excerpt}"),
            Failure::Transport(m) => write!(f, "no response: {m}"),
            Failure::Decode(m) => write!(f, "unexpected response: {m}"),
            Failure::TooLarge(limit) => write!(f, "response body over {limit} bytes"),
            Failure::Protocol(m) => write!(f, "{m}"),
        }
    }
}

/// One request to make: which API, the URL, and an optional `Authorization` value.
pub struct Get<'a> {
    pub api: &'static str,
    pub url: String,
    pub query: Vec<(&'a str, String)>,
    pub authorization: Option<&'a str>,
}

impl Reader {
    pub fn new(settings: &HttpSettings, redactor: Redactor) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("devicepool/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Self {
            agent,
            retries: settings.retries,
            backoff: settings.backoff,
            max_body: settings.max_body_bytes,
            redactor,
        }
    }

    /// GETs a JSON document, retrying what is worth retrying.
    pub fn get_json<T: DeserializeOwned>(&self, get: &Get<'_>) -> Result<T, ApiError> {
        let shown_url = display_url(&get.url, &get.query);
        let fail = |failure| ApiError {
            api: get.api,
            method: "GET",
            url: shown_url.clone(),
            failure,
        };
        let mut attempt = 0;
        loop {
            let (failure, wait) = match self.try_once(get) {
                Ok(body) => {
                    return serde_json::from_str(&body).map_err(|e| {
                        fail(Failure::Decode(format!(
                            "{e} (body starts {:?})",
                            excerpt(&body)
                        )))
                    });
                }
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
    fn try_once(&self, get: &Get<'_>) -> Result<String, (Failure, Option<Option<Duration>>)> {
        let mut request = self.agent.get(&get.url);
        for (key, value) in &get.query {
            request = request.query(*key, value);
        }
        request = request.header("accept", "application/json");
        if let Some(auth) = get.authorization {
            request = request.header("authorization", auth);
        }
        tracing::trace!(api = get.api, url = %display_url(&get.url, &get.query), "GET");
        let mut response = match request.call() {
            Ok(response) => response,
            Err(e) => {
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
        let body = response
            .body_mut()
            .with_config()
            .limit(self.max_body)
            .read_to_string();
        let body = match body {
            Ok(body) => body,
            Err(ureq::Error::BodyExceedsLimit(limit)) => {
                return Err((Failure::TooLarge(limit), None));
            }
            Err(e) if (200..300).contains(&status) => {
                return Err((Failure::Transport(format!("reading body: {e}")), None));
            }
            Err(_) => String::new(),
        };
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let failure = Failure::Status {
            status,
            excerpt: self.redactor.redact(&excerpt(&body)),
        };
        let retry = match status {
            429 => match retry_after {
                Some(wait) if wait > MAX_RETRY_AFTER => None,
                Some(wait) => Some(Some(wait)),
                None => Some(None),
            },
            502..=504 => Some(retry_after.filter(|w| *w <= MAX_RETRY_AFTER)),
            _ => None,
        };
        Err((failure, retry))
    }
}

/// The first characters of a body on one line, for messages.
fn excerpt(body: &str) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > EXCERPT_CHARS {
        let cut: String = flat.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// The URL as shown in messages: query included, any `user:password@` removed.
fn display_url(url: &str, query: &[(&str, String)]) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_userinfo_and_shows_the_query() {
        let query = vec![("cursor", "a b".to_string())];
        assert_eq!(
            display_url("https://u:p@example.com/v1/jobs", &query),
            "https://example.com/v1/jobs?cursor=a%20b"
        );
    }

    #[test]
    fn excerpts_are_short_and_flat() {
        let long = "x ".repeat(500);
        let shown = excerpt(&long);
        assert!(shown.chars().count() <= EXCERPT_CHARS + 1);
        assert!(!shown.contains('\n'));
    }

    #[test]
    fn encodes_slashes_in_segments() {
        assert_eq!(
            encode_component("proj-autophone/gecko-t"),
            "proj-autophone%2Fgecko-t"
        );
    }
}
