//! One job's result (`GET /v1/result/<id>`), decoded as the body streams in: only `job_state`
//! and each integer `<phase>_status` are kept; the logs around them (`<phase>_output`,
//! `<phase>_serial`, megabytes each on a real server) are skipped, never held in memory.
//! One visitor serves the fetch and `decode_result` (fuzzing, tests). It judges no outcome.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{API, TestflingerResult, url};
use crate::clients::http::{ApiError, Get, Reader, encode_component};
use crate::secret::Secret;

/// Most bytes read of one `GET /v1/result/<id>` (64 MiB, whatever `max_body_bytes` says: the
/// body is decoded as it arrives, not buffered). A real result carries every phase's log and
/// serial log inline, 9.7 to 10.5 MB seen, around the few exit codes used; a larger body is
/// refused as too large and that job's outcome is unknown.
pub const RESULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Longest part of an odd status string quoted in an error.
const QUOTED_CHARS: usize = 40;

/// `GET /v1/result/<id>` under `RESULT_MAX_BYTES`: `Ok(None)` on 204 (no such job or no
/// results yet).
pub fn fetch_result(
    reader: &Reader,
    base: &str,
    bearer: Option<&Secret>,
    job_id: &str,
) -> Result<Option<TestflingerResult>, ApiError> {
    let endpoint = url(base, &format!("/v1/result/{}", encode_component(job_id)));
    let auth = bearer.map(Secret::bearer);
    let get = Get {
        api: API,
        url: endpoint.clone(),
        query: Vec::new(),
        authorization: auth.as_ref().map(Secret::expose),
    };
    let Some(wire) =
        reader.get_json_streamed_or_no_content::<WireResult>(&get, RESULT_MAX_BYTES)?
    else {
        return Ok(None);
    };
    result_from_wire(wire)
        .map(Some)
        .map_err(|message| ApiError::undecodable(API, "GET", endpoint, message))
}

/// Decodes a `200` body of `/v1/result/<id>` exactly as `fetch_result` does (a `204` never
/// reaches a decoder): `job_state` is required, every integer `<phase>_status` is kept.
pub(crate) fn decode_result(body: &str) -> Result<TestflingerResult, String> {
    let wire: WireResult = serde_json::from_str(body).map_err(|e| e.to_string())?;
    result_from_wire(wire)
}

fn result_from_wire(wire: WireResult) -> Result<TestflingerResult, String> {
    let Some(job_state) = wire.job_state else {
        return Err("result without a job_state".into());
    };
    Ok(TestflingerResult {
        job_state,
        phase_status: wire.phase_status,
    })
}

/// The parts of a result body kept: `job_state` when it is a string, each phase's status.
#[derive(Default)]
struct WireResult {
    job_state: Option<String>,
    phase_status: BTreeMap<String, i64>,
}

impl<'de> Deserialize<'de> for WireResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ResultVisitor)
    }
}

struct ResultVisitor;

impl<'de> Visitor<'de> for ResultVisitor {
    type Value = WireResult;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Testflinger result object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<WireResult, A::Error> {
        let mut wire = WireResult::default();
        while let Some(key) = map.next_key::<String>()? {
            if key == "job_state" {
                wire.job_state = match map.next_value()? {
                    Scalar::Text(state) => Some(state),
                    _ => None,
                };
            } else if let Some(phase) = key.strip_suffix("_status") {
                // A phase status that is not an integer is not guessed at (dropping it could
                // turn a failed deploy into `ok`): the whole result is unreadable, so the
                // outcome is unknown.
                match map.next_value()? {
                    Scalar::Integer(code) => {
                        wire.phase_status.insert(phase.to_string(), code);
                    }
                    odd => {
                        return Err(de::Error::custom(format_args!(
                            "{key} is {odd}, not an integer exit status"
                        )));
                    }
                }
            } else {
                // Logs, serial logs, device_info, anything new: skipped. serde_json's
                // `deserialize_ignored_any` calls `ignore_value`, which for a string calls
                // `Read::ignore_str`; over a reader (`IoRead`, src/read.rs, serde_json
                // 1.0.154, checked) that loops over the bytes keeping none, so a 10 MB log
                // costs no allocation. Arrays and objects keep one byte per nesting level.
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(wire)
    }
}

/// A value where a short scalar belongs: an integer, a string, or only a description of
/// anything else (a container is skipped, not kept).
enum Scalar {
    Integer(i64),
    Text(String),
    Other(String),
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Integer(n) => write!(f, "{n}"),
            Scalar::Text(text) => {
                let shown: String = text.chars().take(QUOTED_CHARS).collect();
                let cut = if shown.len() < text.len() { "…" } else { "" };
                write!(f, "{}{cut}", serde_json::Value::String(shown))
            }
            Scalar::Other(what) => f.write_str(what),
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other(v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Integer(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Scalar, E> {
        Ok(i64::try_from(v).map_or_else(|_| Scalar::Other(v.to_string()), Scalar::Integer))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Other(format!("{v:?}")))
    }

    fn visit_str<E>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(v))
    }

    fn visit_unit<E>(self) -> Result<Scalar, E> {
        Ok(Scalar::Other("null".into()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("an array".into()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("an object".into()))
    }
}

#[cfg(test)]
#[path = "result_tests.rs"]
mod tests;
