//! The streamed GET: a JSON answer decoded from the response body as it arrives, for an
//! answer far larger than the part kept. It decides nothing about any API's body: the caller's
//! `Deserialize` says what is kept and skips the rest.

use serde::de::DeserializeOwned;

use super::{ApiError, ERROR_EXCERPT, Failure, Get, Reader};

impl Reader {
    /// Like `get_json_or_no_content`, but the body is decoded as it arrives, never held
    /// whole: for an answer far larger than the part kept (`T`'s `Deserialize` skips the
    /// rest, e.g. with `serde::de::IgnoredAny`). Up to `cap` bytes are read whatever
    /// `max_body_bytes` says (that setting bounds what is buffered, and nothing is); a longer
    /// body is `TooLarge`. A body that does not decode is not retried.
    pub fn get_json_streamed_or_no_content<T: DeserializeOwned>(
        &self,
        get: &Get<'_>,
        cap: u64,
    ) -> Result<Option<T>, ApiError> {
        let decode = |response: &mut ureq::http::Response<ureq::Body>, status: u16| {
            if status == 204 {
                return Ok(None);
            }
            // A body announced longer than the cap is refused before a byte of it is read;
            // one without a length (chunked) or lying about it stops at the cap.
            let announced = response.headers().get("content-length");
            let announced = announced.and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
            if announced.is_some_and(|length| length > cap) {
                return Err(Failure::TooLarge(cap));
            }
            let body = response.body_mut().with_config().limit(cap).reader();
            // serde_json does not buffer a reader itself: without this, one read per byte.
            let body = std::io::BufReader::with_capacity(64 * 1024, body);
            serde_json::from_reader(body)
                .map(Some)
                .map_err(|e| self.stream_failure(e))
        };
        let (_, _, body) = self.get_with(get, None, &decode)?;
        Ok(body)
    }

    /// What a failed streamed decode was: the cap or the connection (an I/O error from the
    /// body reader), or a body that is not the expected JSON (quoted redacted and cut: the
    /// message may carry a value of the body).
    fn stream_failure(&self, e: serde_json::Error) -> Failure {
        if !e.is_io() {
            return Failure::Decode(self.redactor.excerpt(&e.to_string(), ERROR_EXCERPT));
        }
        match ureq::Error::from(std::io::Error::from(e)) {
            ureq::Error::BodyExceedsLimit(limit) => Failure::TooLarge(limit),
            e => Failure::Transport(format!("reading body: {e}")),
        }
    }
}

#[cfg(test)]
#[path = "http_stream_tests.rs"]
mod tests;
