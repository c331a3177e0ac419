//! What requests and answers look like on the wire: the URL as messages show it (no
//! `user:password@`), percent-encoding, the headers of an answer, a body read under the size
//! cap. Sends nothing and decides no retry.

use super::Failure;

/// The response headers as (lower-case name, value) pairs; values that are not text are
/// dropped.
pub(crate) fn headers_of(response: &ureq::http::Response<ureq::Body>) -> Vec<(String, String)> {
    response
        .headers()
        .iter()
        .filter_map(|(n, v)| Some((n.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect()
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
