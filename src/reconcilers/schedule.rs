//! Pool settings that change by time of day: cron periods read in an IANA time zone, a period's
//! `set:` laid over a pool's settings. Pure: no clock, no I/O; the time is always passed in.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::tz::TimeZone;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::cron::parse_cron;
use crate::load::section::{KeyAt, Problem, pointer};

/// One period of a pool's schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Period {
    /// Five-field cron expression (minute hour day-of-month month day-of-week); the period is in
    /// effect during every minute it matches, e.g. `* 8-17 * * 1-5` is 08:00–17:59 on weekdays.
    pub cron: String,
    /// IANA time zone the cron fields are read in.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Settings that replace the pool's own while the period is in effect.
    pub set: BTreeMap<String, Value>,
}

/// Which period of a pool's schedule was in effect when the plan was made, as the plan carries
/// it beside its description and the metrics label it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodInEffect {
    /// The period's place in the schedule, numbered from 1 in the order written.
    pub number: usize,
    /// Its cron expression.
    pub cron: String,
    /// The IANA time zone its cron is read in.
    pub timezone: String,
}

/// The period in effect for a run: which one, and its one-line description (see [`describe`]).
#[derive(Debug, Clone, PartialEq)]
pub struct InEffect {
    pub period: PeriodInEffect,
    pub description: String,
}

fn default_timezone() -> String {
    "UTC".to_owned()
}

/// Checks a period without a clock: the cron expression parses and the time zone exists.
/// The error is one plain sentence naming the field and the bad part, for an operator.
pub(crate) fn check_period(period: &Period) -> Result<(), String> {
    parse_cron(&period.cron)?;
    let zone = &period.timezone;
    zone_named(zone).map_err(|_| {
        format!("timezone {zone:?} is not a known IANA time zone, e.g. Europe/Berlin or UTC")
    })?;
    Ok(())
}

/// The first period in effect at `at` (index into `periods`), or None. A period that does not
/// check is never in effect (load refuses such files earlier).
pub(crate) fn period_at(periods: &[Period], at: Timestamp) -> Option<usize> {
    periods.iter().position(|period| applies(period, at))
}

/// `base` with `set` laid over it (serialize to a JSON object, replace the keys, deserialize back).
/// The error names the key and lists the allowed ones, or names the key whose value does not
/// fit (e.g. `set.min_idle: invalid type: string "four", expected u32`).
pub(crate) fn overlay<T: Serialize + DeserializeOwned>(
    base: &T,
    set: &BTreeMap<String, Value>,
    allowed: &[&str],
) -> Result<T, String> {
    overlay_settings(&settings_of(base)?, set, allowed)
}

/// `settings` (an entry as a JSON object) with `set` laid over it, read back as the entry.
fn overlay_settings<T: DeserializeOwned>(
    settings: &Map<String, Value>,
    set: &BTreeMap<String, Value>,
    allowed: &[&str],
) -> Result<T, String> {
    if let Some(key) = set.keys().find(|key| !allowed.contains(&key.as_str())) {
        let allowed = allowed.join(", ");
        return Err(format!(
            "set.{key} is not a setting a schedule can change (it can change: {allowed})"
        ));
    }
    lay_over(settings, set).map_err(|error| {
        // Name the key: the first one that fails on its own, else the whole error.
        let culprit = set
            .iter()
            .find_map(|pair| lay_over::<T>(settings, [pair]).err().map(|e| (pair.0, e)));
        match culprit {
            Some((key, error)) => format!("set.{key}: {error}"),
            None => format!("set: {error}"),
        }
    })
}

/// A one-line description for plans and `explain`, e.g.
/// `schedule period 1 (cron "* 8-17 * * 1-5" in Europe/Berlin) sets max_runners=8, min_idle=4`
/// (keys in order, values as compact JSON). Periods are numbered from 1; `index` is one
/// [`period_at`] returned.
pub(crate) fn describe(periods: &[Period], index: usize) -> String {
    let period = &periods[index];
    let values: Vec<String> = period.set.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let values = if values.is_empty() {
        "nothing".to_owned()
    } else {
        values.join(", ")
    };
    let (number, cron, zone) = (index + 1, &period.cron, &period.timezone);
    format!("schedule period {number} (cron {cron:?} in {zone}) sets {values}")
}

/// An entry that has a schedule.
pub(crate) trait Scheduled: Clone + Serialize + DeserializeOwned {
    /// The settings a period may set.
    const SCHEDULABLE: &'static [&'static str];
    /// The entry's periods, in the order written.
    fn periods(&self) -> &[Period];
    /// Remembers the period in effect, for the plan.
    fn note_in_effect(&mut self, in_effect: Option<InEffect>);
    /// The kind's own checks of the values a period may set, the same at the entry's level
    /// and in each period; a problem about `key` goes where `at(key)` says, or nowhere.
    fn check_values(&self, problems: &mut Vec<Problem>, at: KeyAt<'_>);
}

/// Lays the period in effect at `at` over every entry of `entries`.
pub(crate) fn settle_entries<'a, T: Scheduled + 'a>(
    entries: impl Iterator<Item = &'a mut T>,
    at: Timestamp,
) {
    for entry in entries {
        let (mut settled, in_effect) = settle(entry, entry.periods(), T::SCHEDULABLE, at);
        settled.note_in_effect(in_effect);
        *entry = settled;
    }
}

/// `base` as the period in effect at `at` leaves it, with that period; `base` itself when none
/// is. A period load should have refused is skipped with a note in its description.
fn settle<T: Clone + Serialize + DeserializeOwned>(
    base: &T,
    periods: &[Period],
    allowed: &[&str],
    at: Timestamp,
) -> (T, Option<InEffect>) {
    let Some(index) = period_at(periods, at) else {
        return (base.clone(), None);
    };
    let described = describe(periods, index);
    let (settled, description) = match overlay(base, &periods[index].set, allowed) {
        Ok(settled) => (settled, described),
        Err(error) => (base.clone(), format!("{described} — ignored: {error}")),
    };
    let Period { cron, timezone, .. } = &periods[index];
    let period = PeriodInEffect {
        number: index + 1,
        cron: cron.clone(),
        timezone: timezone.clone(),
    };
    (
        settled,
        Some(InEffect {
            period,
            description,
        }),
    )
}

/// Most periods one entry's schedule may hold. A schedule is a handful of periods (working
/// hours, nights, weekends, a few holidays); a longer one is generated or hostile, and each
/// period is read on every run.
pub const MAX_PERIODS: usize = 100;

/// Checks each period of entry `name` of `section` and what it lays over `entry`: the cron and
/// zone, the keys it may set, and the kind's own value checks on the entry as the period leaves
/// it, reported at the period's keys. Problems point at the period. Linear in the periods: each
/// is laid over the entry's settings without its schedule, checked and dropped.
pub(crate) fn check_schedule<T: Scheduled>(
    problems: &mut Vec<Problem>,
    section: &str,
    name: &str,
    entry: &T,
) {
    let periods = entry.periods();
    let schedule = pointer(section, name, "schedule");
    if periods.len() > MAX_PERIODS {
        problems.push(Problem::at(
            format!("{schedule}/{MAX_PERIODS}"),
            format!(
                "a schedule holds at most {MAX_PERIODS} periods; this one has {} (merge periods \
                 with cron lists and ranges, e.g. `* 8-17 * * 1-5`)",
                periods.len()
            ),
        ));
        return;
    }
    let settings = match settings_of(entry) {
        Ok(mut settings) => {
            settings.remove("schedule");
            settings
        }
        Err(error) => return problems.push(Problem::at(schedule, error)),
    };
    for (i, period) in periods.iter().enumerate() {
        let at = format!("{schedule}/{i}");
        let settled = check_period(period)
            .and_then(|()| overlay_settings::<T>(&settings, &period.set, T::SCHEDULABLE));
        match settled {
            Ok(settled) => {
                let set = &period.set;
                let key_at = |key: &str| set.contains_key(key).then(|| format!("{at}/set/{key}"));
                settled.check_values(problems, &key_at);
            }
            Err(message) => problems.push(Problem::at(at, message)),
        }
    }
}

/// The zone named `name` from the time-zone database built into devicepool, never the host's:
/// a schedule means the same on every machine and settling reads no file.
fn zone_named(name: &str) -> Result<TimeZone, jiff::Error> {
    static BUNDLED: std::sync::OnceLock<jiff::tz::TimeZoneDatabase> = std::sync::OnceLock::new();
    BUNDLED
        .get_or_init(jiff::tz::TimeZoneDatabase::bundled)
        .get(name)
}

/// Whether `period` is in effect at `at`: its cron matches the wall-clock minute in its zone.
fn applies(period: &Period, at: Timestamp) -> bool {
    let (Ok(cron), Ok(zone)) = (parse_cron(&period.cron), zone_named(&period.timezone)) else {
        return false;
    };
    cron.matches(zone.to_datetime(at))
}

/// `entry` as a JSON object of its settings.
fn settings_of<T: Serialize>(entry: &T) -> Result<Map<String, Value>, String> {
    match serde_json::to_value(entry).map_err(|e| e.to_string())? {
        Value::Object(settings) => Ok(settings),
        _ => Err("the settings are not a map".to_owned()),
    }
}

/// A copy of `settings` with the keys of `set` replaced, deserialized.
fn lay_over<'a, T: DeserializeOwned>(
    settings: &Map<String, Value>,
    set: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> Result<T, String> {
    let mut object = settings.clone();
    for (key, replacement) in set {
        object.insert(key.clone(), replacement.clone());
    }
    serde_json::from_value(Value::Object(object)).map_err(|e| e.to_string())
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
