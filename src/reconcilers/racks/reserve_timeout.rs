//! A rack's `reserve_data.timeout` against Testflinger's rule that a reservation over 6 hours
//! needs an authenticated client (one with `max_reservation_time`): without client
//! credentials every such deploy is refused with 401, so the load refuses the setting. A
//! load-time check only; it never reads an API and never judges an authenticated client's
//! own limit (the server knows it, the desired state does not).

use super::config::Rack;
use crate::load::Desired;
use crate::load::section::{Problem, pointer};

/// The longest reservation Testflinger grants a client without credentials: 6 hours.
const ANONYMOUS_MAX_RESERVE_SECONDS: u64 = 21_600;

/// Refuses a reserve timeout over 6 hours on a rack when `sources.testflinger` has no
/// `client_id`. A timeout devicepool cannot read as seconds is left to the server.
pub(crate) fn check_reserve_timeout(
    desired: &Desired,
    name: &str,
    rack: &Rack,
    problems: &mut Vec<Problem>,
) {
    let authenticated =
        (desired.sources.testflinger.as_ref()).is_some_and(|tf| tf.client_id.is_some());
    let timeout = rack.reserve_data.as_ref().and_then(|d| d.get("timeout"));
    let Some(seconds) = timeout.and_then(reserve_seconds) else {
        return;
    };
    if seconds > ANONYMOUS_MAX_RESERVE_SECONDS && !authenticated {
        problems.push(Problem::at(
            format!("{}/timeout", pointer("racks", name, "reserve_data")),
            format!(
                "a reservation of {seconds} s is over 6h (21600 s): Testflinger grants that \
                 only to an authenticated client, so every deploy would be refused with 401; \
                 set sources.testflinger.client_id and a client secret, or reserve for at most \
                 6h"
            ),
        ));
    }
}

/// Seconds of a reserve timeout as the server reads it: a whole number (or one in a string)
/// of seconds, or a duration string such as `8h` or `1d`.
fn reserve_seconds(value: &serde_json::Value) -> Option<u64> {
    if let Some(seconds) = value.as_u64() {
        return Some(seconds);
    }
    let text = value.as_str()?.trim();
    text.parse::<u64>().ok().or_else(|| {
        let duration = crate::load::duration::parse(text).ok()?;
        Some(duration.as_secs())
    })
}

#[cfg(test)]
#[path = "reserve_timeout_tests.rs"]
mod tests;
