//! Durations as the desired state writes them: `250ms`, `30s`, `5m`, `1h 30m`, `7d` (a day is
//! 24 hours). A value that is not one gets a plain sentence naming the forms, never the
//! parser's own message (which names library types). Serialized the same friendly way.

use std::time::Duration;

use jiff::{Span, SpanRelativeTo};
use serde::{Deserialize, Deserializer};

/// Reads one duration; the error says what was written and what would do.
pub(crate) fn parse(text: &str) -> Result<Duration, String> {
    let plain = || {
        format!(
            "{text:?} is not a duration: write a number and a unit, e.g. 250ms, 30s, 5m, 6h, \
             1h 30m or 7d"
        )
    };
    let span: Span = text.trim().parse().map_err(|_| plain())?;
    let signed = span
        .to_duration(SpanRelativeTo::days_are_24_hours())
        .map_err(|_| plain())?;
    Duration::try_from(signed).map_err(|_| plain())
}

/// `#[serde(with = ...)]` for a required duration.
pub(crate) mod required {
    use super::*;
    pub(crate) use jiff::fmt::serde::unsigned_duration::friendly::compact::required::serialize;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = ...)]` for an optional duration.
pub(crate) mod optional {
    use super::*;
    pub(crate) use jiff::fmt::serde::unsigned_duration::friendly::compact::optional::serialize;

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => parse(&text).map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
#[path = "duration_tests.rs"]
mod tests;
