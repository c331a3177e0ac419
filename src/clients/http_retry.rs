//! The GET loop of `Reader`: one attempt, and which failed attempts are repeated after how
//! long (connect errors and resets, 429, 502, 503, 504; `Retry-After` honoured up to a bound).
//! A timeout is not repeated, and nothing here may repeat a request that could have changed
//! something (`failed_before_sending` says when a mutation may be sent again).

use std::time::Duration;

use super::{ApiError, ERROR_EXCERPT, Failure, Get, Reader, display_url, headers_of, read_body};
use crate::clients::request_stats;
use crate::secret::Secret;

/// Longest `Retry-After` wait honoured; a longer one fails the request instead of stalling
/// the run.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Whether a failed attempt is worth repeating: `None` = give up, `Some(None)` = after the
/// usual backoff, `Some(Some(d))` = after `d`.
type Retry = Option<Option<Duration>>;

/// Status, headers and body (as read, text by default) of an answer.
type Answer<B = String> = (u16, Vec<(String, String)>, B);

/// What a GET makes of a success answer's body, given the response and its status.
type SuccessBody<'a, B> =
    dyn Fn(&mut ureq::http::Response<ureq::Body>, u16) -> Result<B, Failure> + 'a;

impl Reader {
    /// GETs with retries; returns the success status, headers and body.
    pub(super) fn get_text(&self, get: &Get<'_>) -> Result<Answer, ApiError> {
        self.get_text_signed(get, None)
    }

    /// `get_text`, with `sign` (when given) making the `Authorization` value of each attempt.
    pub(super) fn get_text_signed(
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
    pub(super) fn get_with<B>(
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
