//! The run's two clocks. The real time judges cool-downs, grace periods, job windows, tokens
//! and a saved plan's age; the schedule time picks the period of each schedule in effect.
//! `DEVICEPOOL_NOW` moves only the schedule time (a preview: `apply` refuses it);
//! `DEVICEPOOL_SIM_CLOCK` moves both, only in a debug build (the test suite's) and only
//! against a simulated fleet on loopback. Reads
//! the environment; decides nothing else.

use anyhow::bail;
use jiff::Timestamp;

use crate::load::Sources;

/// The variable that previews another time's schedules.
pub(super) const NOW_VAR: &str = "DEVICEPOOL_NOW";

/// The variable that sets a simulated fleet's time as the run's real time.
pub(super) const SIM_CLOCK_VAR: &str = "DEVICEPOOL_SIM_CLOCK";

/// The real time of the run: now, or `DEVICEPOOL_SIM_CLOCK` (checked by [`check_sim_clock`])
/// in a build that honours it.
pub(crate) fn real_now() -> Timestamp {
    let simulated = SIM_CLOCK_HONOURED.then(|| read(SIM_CLOCK_VAR)).flatten();
    simulated.unwrap_or_else(Timestamp::now)
}

/// The time schedules are read at: `DEVICEPOOL_NOW` when set, else the real time.
pub(crate) fn schedule_at() -> Timestamp {
    preview_at().unwrap_or_else(real_now)
}

/// The previewed time, when `DEVICEPOOL_NOW` is set: the run is a preview at that time.
pub(crate) fn preview_at() -> Option<Timestamp> {
    read(NOW_VAR)
}

/// A variable's timestamp; a value that does not parse was refused by [`parse_time`] before
/// any command that reads the clock started.
fn read(var: &str) -> Option<Timestamp> {
    parse_time(var, std::env::var(var).ok().as_deref())
        .ok()
        .flatten()
}

/// Reads one clock variable's value: `None` when unset, an error naming the variable and the
/// accepted format when it is set but is not an RFC 3339 timestamp (empty included).
pub(super) fn parse_time(var: &str, raw: Option<&str>) -> anyhow::Result<Option<Timestamp>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    raw.trim().parse().map(Some).map_err(|_| {
        anyhow::anyhow!(
            "{var}={raw:?} is not an RFC 3339 timestamp with an offset \
             (e.g. 2025-06-01T12:00:00Z); unset it to use the current time"
        )
    })
}

/// Refuses `DEVICEPOOL_NOW` for `apply`: a run that acts must judge cool-downs and job
/// windows at the real time, and a preview of schedules is what `plan` is for.
pub(super) fn refuse_preview_for_apply(raw: Option<&str>) -> anyhow::Result<()> {
    if raw.is_some() {
        bail!(
            "{NOW_VAR} is set: it previews another time's schedules and never acts; \
             `apply` runs at the real time. See the preview with `devicepool plan`, \
             then unset {NOW_VAR} to apply"
        );
    }
    Ok(())
}

/// Whether this build honours `DEVICEPOOL_SIM_CLOCK`: only a build with debug assertions, as
/// the test suite builds it. A release build never takes its time from the environment.
pub(super) const SIM_CLOCK_HONOURED: bool = cfg!(debug_assertions);

/// Refuses `DEVICEPOOL_SIM_CLOCK` (`raw`) in a build that does not honour it (`honoured`:
/// [`SIM_CLOCK_HONOURED`]), before it could be mistaken for having any effect.
pub(super) fn refuse_sim_clock_in_release(raw: Option<&str>, honoured: bool) -> anyhow::Result<()> {
    if raw.is_some() && !honoured {
        bail!(
            "{SIM_CLOCK_VAR} is set: it is for the test suite only (a debug build, against a \
             simulated fleet on loopback); this release build always runs at the real time. \
             Unset it"
        );
    }
    Ok(())
}

/// Refuses `DEVICEPOOL_SIM_CLOCK` unless every source of `sources` is on loopback: it
/// replaces the real time, which only a simulated fleet may have.
pub(super) fn check_sim_clock(sources: &Sources) -> anyhow::Result<()> {
    if std::env::var_os(SIM_CLOCK_VAR).is_none() {
        return Ok(());
    }
    let lambdatest = sources.lambdatest.as_ref();
    let urls = [
        sources.taskcluster.as_ref().map(|s| s.root_url.as_str()),
        lambdatest.map(|s| s.api_url.as_str()),
        lambdatest.map(|s| s.devices_url.as_str()),
        sources.maas.as_ref().map(|s| s.url.as_str()),
        sources.testflinger.as_ref().map(|s| s.url.as_str()),
        sources.gitlab.as_ref().map(|s| s.url.as_str()),
        sources.docker.as_ref().and_then(|s| s.host.as_deref()),
    ];
    if let Some(far) = urls.into_iter().flatten().find(|url| !is_loopback(url)) {
        bail!(
            "{SIM_CLOCK_VAR} is set, but {far} is not on loopback: it sets the time of a \
             simulated fleet and is refused against any other; unset it"
        );
    }
    Ok(())
}

/// Whether `url` is a Unix socket or names a loopback host.
fn is_loopback(url: &str) -> bool {
    if url.starts_with("unix://") {
        return true;
    }
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    match uri
        .host()
        .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
    {
        Some("localhost") => true,
        Some(host) => host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
#[path = "clock_tests.rs"]
mod tests;
