//! What a failed API call was (`Failure`) and the error an operator reads (`ApiError`): the
//! API, method, URL (no credentials in it), status and a short excerpt of the body. It only
//! describes failures: it sends nothing, and it quotes only what its callers already redacted.

use std::fmt;

use crate::clients::request_stats;
use crate::secret::Cut;

/// How much of an error body a message quotes (after redaction: see `Redactor::excerpt`).
pub(crate) const ERROR_EXCERPT: Cut = Cut {
    chars: 200,
    fold_whitespace: true,
};

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
