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
pub(super) mod required {
    use super::*;
    pub(in crate::load) use jiff::fmt::serde::unsigned_duration::friendly::compact::required::serialize;

    pub(in crate::load) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Duration, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = ...)]` for an optional duration.
pub(super) mod optional {
    use super::*;
    pub(in crate::load) use jiff::fmt::serde::unsigned_duration::friendly::compact::optional::serialize;

    pub(in crate::load) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        match Option::<String>::deserialize(deserializer)? {
            Some(text) => parse(&text).map(Some).map_err(serde::de::Error::custom),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse;
    use std::time::Duration;

    #[test]
    fn reads_the_friendly_forms_and_days_and_says_plainly_what_is_not_one() {
        let secs = |t: &str| parse(t).map(|d| d.as_secs_f64());
        assert_eq!(secs("250ms"), Ok(0.25));
        assert_eq!(secs("1h 30m"), Ok(5400.0));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(7 * 86_400)));
        for bad in ["6x", "", "-5m", "1 month", "14"] {
            let e = parse(bad).expect_err(bad);
            assert!(e.starts_with(&format!("{bad:?} is not a duration")), "{e}");
            assert!(!e.contains("jiff") && !e.contains("Span"), "{e}");
        }
    }
}
