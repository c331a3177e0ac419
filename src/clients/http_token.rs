//! The one POST a `Reader` makes: an OAuth token exchange (it reads a credential, it changes
//! nothing). Repeated only when the connection failed before anything was sent; the token
//! reply is never quoted, not even in part.

use serde::de::DeserializeOwned;

use super::{ApiError, ERROR_EXCERPT, Failure, Reader, display_url, read_body};
use crate::clients::request_stats;

impl Reader {
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
}
