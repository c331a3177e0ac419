//! Unit tests of `reconcilers/schedule.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::*;

fn period(cron: &str, timezone: &str) -> Period {
    Period {
        cron: cron.to_owned(),
        timezone: timezone.to_owned(),
        set: BTreeMap::new(),
    }
}

fn instant(text: &str) -> Timestamp {
    text.parse().expect(text)
}

/// Whether `cron`, read in UTC, is in effect at `at` (an RFC 3339 instant).
fn matches(cron: &str, at: &str) -> bool {
    period_at(&[period(cron, "UTC")], instant(at)) == Some(0)
}

/// Whether `cron`, read in `zone`, is in effect at `at`.
fn matches_in(cron: &str, zone: &str, at: &str) -> bool {
    period_at(&[period(cron, zone)], instant(at)) == Some(0)
}

/// The error `check_period` gives for `cron` in UTC.
fn cron_error(cron: &str) -> String {
    check_period(&period(cron, "UTC")).expect_err(cron)
}

fn set(value: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(value).expect("an object")
}

#[test]
fn minute_and_hour_match_the_whole_minute_and_nothing_else() {
    assert!(matches("30 8 * * *", "2026-03-02T08:30:00Z"));
    assert!(matches("30 8 * * *", "2026-03-02T08:30:59.999Z"));
    assert!(!matches("30 8 * * *", "2026-03-02T08:31:00Z"));
    assert!(!matches("30 8 * * *", "2026-03-02T08:29:59Z"));
    assert!(!matches("30 8 * * *", "2026-03-02T09:30:00Z"));
    assert!(matches("* * * * *", "2026-07-19T23:59:00Z"));
}

#[test]
fn day_of_month_month_and_day_of_week_match_their_own_values() {
    assert!(matches("* * 13 3 *", "2026-03-13T12:00:00Z"));
    assert!(!matches("* * 13 3 *", "2026-03-14T12:00:00Z"));
    assert!(!matches("* * 13 3 *", "2026-04-13T12:00:00Z"));
    assert!(matches("* * * * 1", "2026-03-02T12:00:00Z")); // a Monday
    assert!(!matches("* * * * 1", "2026-03-03T12:00:00Z")); // a Tuesday
    assert!(matches("* * * 12 *", "2026-12-31T23:59:00Z"));
    assert!(!matches("* * * 12 *", "2027-01-01T00:00:00Z"));
}

#[test]
fn lists_ranges_and_steps_select_exactly_their_values() {
    let minute = |cron: &str, m: u32| matches(cron, &format!("2026-03-02T10:{m:02}:00Z"));
    let hits = |cron: &str| (0..60).filter(|&m| minute(cron, m)).collect::<Vec<_>>();
    assert_eq!(hits("0,15,45 * * * *"), [0, 15, 45]);
    assert_eq!(hits("10-12 * * * *"), [10, 11, 12]);
    assert_eq!(hits("*/20 * * * *"), [0, 20, 40]);
    assert_eq!(hits("5-30/10 * * * *"), [5, 15, 25]);
    assert_eq!(hits("58,1-2,*/25 * * * *"), [0, 1, 2, 25, 50, 58]);
    assert_eq!(hits("7-7 * * * *"), [7]);
    assert_eq!(
        hits("59/1 * * * *").len(),
        0,
        "a single value with a step does not check"
    );
    let hours = (0..24).filter(|h| matches("0 9-17/4 * * *", &format!("2026-03-02T{h:02}:00:00Z")));
    assert_eq!(hours.collect::<Vec<_>>(), [9, 13, 17]);
}

#[test]
fn months_and_days_of_the_week_have_names_in_any_case() {
    assert!(matches("* * * mar mon", "2026-03-02T12:00:00Z"));
    assert!(matches("* * * Jan-MAR *", "2026-03-02T12:00:00Z"));
    assert!(!matches("* * * Jan-Feb *", "2026-03-02T12:00:00Z"));
    assert!(matches("* * * DEC *", "2026-12-01T00:00:00Z"));
    assert!(matches("* * * * MON-fri", "2026-03-03T12:00:00Z")); // Tuesday
    assert!(!matches("* * * * MON-fri", "2026-03-07T12:00:00Z")); // Saturday
    assert!(matches("* * * * sat,Sun", "2026-03-07T12:00:00Z"));
}

#[test]
fn sunday_is_both_0_and_7() {
    let sunday = "2026-03-01T12:00:00Z";
    for cron in [
        "* * * * 0",
        "* * * * 7",
        "* * * * SUN",
        "* * * * 5-7",
        "* * * * 0-0",
    ] {
        assert!(matches(cron, sunday), "{cron}");
        assert!(!matches(cron, "2026-03-02T12:00:00Z"), "{cron} on a Monday");
    }
    assert!(matches("* * * * 5-7", "2026-03-06T12:00:00Z")); // Friday
    assert!(matches("* * * * 5-7", "2026-03-07T12:00:00Z")); // Saturday
}

#[test]
fn a_day_matches_either_day_field_when_both_are_restricted_else_both() {
    // Both restricted: the 13th or any Monday.
    assert!(matches("* * 13 * 1", "2026-03-02T12:00:00Z")); // Monday the 2nd
    assert!(matches("* * 13 * 1", "2026-03-13T12:00:00Z")); // Friday the 13th
    assert!(!matches("* * 13 * 1", "2026-03-03T12:00:00Z")); // Tuesday the 3rd
    assert!(
        matches("* * 1-31 * 1", "2026-03-03T12:00:00Z"),
        "every day, whatever the weekday"
    );
    // One starts with `*`: both must match (odd days that are Mondays).
    assert!(!matches("* * */2 * 1", "2026-03-02T12:00:00Z")); // Monday the 2nd
    assert!(matches("* * */2 * 1", "2026-03-09T12:00:00Z")); // Monday the 9th
    assert!(!matches("* * */2 * 1", "2026-03-03T12:00:00Z")); // Tuesday the 3rd
    assert!(!matches("* * 13 * *", "2026-03-02T12:00:00Z"));
    assert!(!matches("* * * * 1", "2026-03-13T12:00:00Z"));
    assert!(matches("* * 13 * */1", "2026-03-13T12:00:00Z"));
    assert!(!matches("* * 13 * */1", "2026-03-02T12:00:00Z"));
}

#[test]
fn the_fields_are_read_on_the_wall_clock_of_the_periods_zone() {
    let office = "* 8-17 * * 1-5";
    // Monday 07:30Z is 08:30 in Berlin, 07:30 in UTC, 02:30 in New York.
    assert!(matches_in(office, "Europe/Berlin", "2026-03-02T07:30:00Z"));
    assert!(!matches_in(office, "UTC", "2026-03-02T07:30:00Z"));
    assert!(!matches_in(
        office,
        "America/New_York",
        "2026-03-02T07:30:00Z"
    ));
    // Monday 17:30Z is 18:30 in Berlin (closed), 12:30 in New York (open).
    assert!(!matches_in(office, "Europe/Berlin", "2026-03-02T17:30:00Z"));
    assert!(matches_in(
        office,
        "America/New_York",
        "2026-03-02T17:30:00Z"
    ));
    // Saturday 01:00Z is still Friday 20:00 in New York.
    assert!(matches_in(
        "* 20 * * FRI",
        "America/New_York",
        "2026-03-07T01:00:00Z"
    ));
    assert!(!matches_in("* 20 * * FRI", "UTC", "2026-03-07T01:00:00Z"));
}

#[test]
fn around_a_dst_change_the_wall_clock_decides() {
    let berlin = |cron: &str, at: &str| matches_in(cron, "Europe/Berlin", at);
    // 2026-03-29 01:00Z: 02:00 CET becomes 03:00 CEST; there is no 02:xx that day.
    assert!(berlin("30 1 * * *", "2026-03-29T00:30:00Z")); // 01:30 CET
    assert!(berlin("30 3 * * *", "2026-03-29T01:30:00Z")); // 03:30 CEST
    assert!(berlin("0 3 * * *", "2026-03-29T01:00:00Z")); // 03:00 CEST
    let minutes = (0..24 * 60).map(|m| format!("2026-03-29T{:02}:{:02}:00Z", m / 60, m % 60));
    assert_eq!(minutes.filter(|at| berlin("* 2 * * *", at)).count(), 0);
    assert!(
        berlin("* 2 * * *", "2026-03-28T01:30:00Z"),
        "the day before, 02:30 CET"
    );
    // 2026-10-25 01:00Z: 03:00 CEST becomes 02:00 CET; 02:xx happens twice.
    assert!(berlin("30 2 * * *", "2026-10-25T00:30:00Z")); // 02:30 CEST
    assert!(berlin("30 2 * * *", "2026-10-25T01:30:00Z")); // 02:30 CET
    assert!(!berlin("30 2 * * *", "2026-10-25T02:30:00Z")); // 03:30 CET
    let minutes = (0..24 * 60).map(|m| format!("2026-10-25T{:02}:{:02}:00Z", m / 60, m % 60));
    assert_eq!(minutes.filter(|at| berlin("* 2 * * *", at)).count(), 120);
}

#[test]
fn the_first_period_in_effect_wins_and_one_that_does_not_check_never_is() {
    let periods = [
        period("* 8-17 * * 1-5", "Europe/Berlin"),
        period("* 6-20 * * *", "Europe/Berlin"),
        period("* * * * *", "UTC"),
    ];
    assert_eq!(
        period_at(&periods, instant("2026-03-02T07:30:00Z")),
        Some(0)
    );
    assert_eq!(
        period_at(&periods, instant("2026-03-02T18:30:00Z")),
        Some(1)
    );
    assert_eq!(
        period_at(&periods, instant("2026-03-07T07:30:00Z")),
        Some(1)
    ); // Saturday
    assert_eq!(
        period_at(&periods, instant("2026-03-02T23:00:00Z")),
        Some(2)
    );
    assert_eq!(
        period_at(&periods[..2], instant("2026-03-02T23:00:00Z")),
        None
    );
    assert_eq!(period_at(&[], instant("2026-03-02T23:00:00Z")), None);
    let broken = [
        period("61 * * * *", "UTC"),
        period("* * * * *", "Mars/Olympus"),
        period("* * * * *", "UTC"),
    ];
    assert_eq!(period_at(&broken, instant("2026-03-02T23:00:00Z")), Some(2));
}

#[test]
fn a_bad_cron_is_refused_naming_the_field_and_the_part() {
    let cases = [
        ("* * * *", "has 4 field(s) but needs five: minute hour"),
        ("* * * * * *", "has 6 field(s) but needs five"),
        ("", "has 0 field(s) but needs five"),
        ("60 * * * *", r#"bad minute field "60": 60 is outside 0-59"#),
        ("* 24 * * *", r#"bad hour field "24": 24 is outside 0-23"#),
        (
            "* * 0 * *",
            r#"bad day-of-month field "0": 0 is outside 1-31"#,
        ),
        (
            "* * * 1,13 *",
            r#"bad month field "1,13": 13 is outside 1-12"#,
        ),
        (
            "* * * * 8",
            r#"bad day-of-week field "8": 8 is outside 0-7"#,
        ),
        ("99999999999 * * * *", "99999999999 is outside 0-59"),
        (
            "* * * * 5-2",
            r#"day-of-week field "5-2": the range "5-2" runs backwards"#,
        ),
        ("* * * DEC-JAN *", r#"the range "DEC-JAN" runs backwards"#),
        (
            "*/0 * * * *",
            r#"minute field "*/0": the step "0" is not a whole number of 1 or more"#,
        ),
        (
            "* 1-5/x * * *",
            r#"hour field "1-5/x": the step "x" is not a whole number"#,
        ),
        ("*/ * * * *", r#"the step "" is not a whole number"#),
        ("* */5/2 * * *", r#"the step "5/2" is not a whole number"#),
        ("1,,2 * * * *", r#"minute field "1,,2": an item is empty"#),
        ("* 1, * * *", r#"hour field "1,": an item is empty"#),
        (
            "* * * FOO *",
            r#"month field "FOO": "FOO" is neither a number nor a name JAN-DEC"#,
        ),
        (
            "* * * * MONDAY",
            r#""MONDAY" is neither a number nor a name SUN-SAT"#,
        ),
        (
            "* * MON * *",
            r#"day-of-month field "MON": "MON" is not a number"#,
        ),
        ("5x * * * *", r#"minute field "5x": "5x" is not a number"#),
        ("+5 * * * *", r#""+5" is not a number"#),
        ("1-5-7 * * * *", r#""5-7" is not a number"#),
        (
            "* 5/2 * * *",
            r#""5/2" steps from a single value; a step follows * or A-B"#,
        ),
        (
            "* * 1- * *",
            r#"day-of-month field "1-": a value is missing"#,
        ),
        ("/5 * * * *", "a value is missing"),
    ];
    for (cron, expected) in cases {
        let error = cron_error(cron);
        assert!(error.starts_with(&format!("cron {cron:?} has ")), "{error}");
        assert!(error.contains(expected), "{cron}: {error}");
    }
}

#[test]
fn good_periods_check_and_an_unknown_time_zone_is_refused() {
    for zone in ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"] {
        assert_eq!(
            check_period(&period("*/15 8-17 1,15 JAN-DEC MON-FRI", zone)),
            Ok(())
        );
    }
    for zone in ["Mars/Olympus", "", "Europe/Berlín"] {
        let error = check_period(&period("* * * * *", zone)).expect_err(zone);
        let expected = format!("timezone {zone:?} is not a known IANA time zone");
        assert!(error.starts_with(&expected), "{error}");
    }
}

#[test]
fn a_period_reads_with_utc_by_default_and_refuses_unknown_fields() {
    let read: Period = serde_json::from_value(json!({"cron": "* * * * *", "set": {"min_idle": 4}}))
        .expect("a period");
    assert_eq!(read.timezone, "UTC");
    assert_eq!(read.set, set(json!({"min_idle": 4})));
    let typo = json!({"cron": "* * * * *", "zone": "UTC", "set": {}});
    let error = serde_json::from_value::<Period>(typo).expect_err("an unknown field");
    assert!(
        error.to_string().contains("unknown field `zone`"),
        "{error}"
    );
}

/// A pool's settings in small: a number, a flag and a friendly duration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Settings {
    min_idle: u32,
    disabled: bool,
    #[serde(with = "crate::load::duration::required")]
    idle_cooldown: Duration,
}

const ALLOWED: &[&str] = &["min_idle", "disabled", "idle_cooldown"];

fn base() -> Settings {
    Settings {
        min_idle: 1,
        disabled: false,
        idle_cooldown: Duration::from_secs(300),
    }
}

#[test]
fn overlay_replaces_the_values_it_sets_and_keeps_the_rest() {
    let all = set(json!({"min_idle": 4, "disabled": true, "idle_cooldown": "1h 30m"}));
    let expected = Settings {
        min_idle: 4,
        disabled: true,
        idle_cooldown: Duration::from_secs(5400),
    };
    assert_eq!(overlay(&base(), &all, ALLOWED), Ok(expected));
    let some = set(json!({"min_idle": 0}));
    assert_eq!(
        overlay(&base(), &some, ALLOWED),
        Ok(Settings {
            min_idle: 0,
            ..base()
        })
    );
    assert_eq!(overlay(&base(), &BTreeMap::new(), ALLOWED), Ok(base()));
    assert_eq!(overlay_unit(&base(), &all, ALLOWED), Ok(()));
}

#[test]
fn overlay_refuses_a_key_it_may_not_set_and_lists_those_it_may() {
    let typo = set(json!({"min_idle": 4, "max_idel": 4}));
    let error = overlay(&base(), &typo, ALLOWED).expect_err("max_idel");
    assert_eq!(
        error,
        "set.max_idel is not a setting a schedule can change (it can change: min_idle, \
         disabled, idle_cooldown)"
    );
    assert_eq!(overlay_unit(&base(), &typo, ALLOWED), Err(error));
    let not_allowed = set(json!({"disabled": true}));
    let error = overlay_unit(&base(), &not_allowed, &["min_idle"]).expect_err("disabled");
    assert!(
        error.starts_with("set.disabled is not a setting"),
        "{error}"
    );
}

#[test]
fn overlay_refuses_a_wrong_type_naming_the_key() {
    let cases = [
        (
            json!({"min_idle": "four"}),
            "set.min_idle: ",
            "expected u32",
        ),
        (json!({"min_idle": -1}), "set.min_idle: ", "expected u32"),
        (
            json!({"disabled": 1}),
            "set.disabled: ",
            "expected a boolean",
        ),
        (
            json!({"idle_cooldown": "soon"}),
            "set.idle_cooldown: ",
            r#""soon" is not a duration"#,
        ),
        (
            json!({"disabled": true, "min_idle": null}),
            "set.min_idle: ",
            "expected u32",
        ),
    ];
    for (values, key, expected) in cases {
        let error = overlay_unit(&base(), &set(values.clone()), ALLOWED).expect_err(key);
        assert!(
            error.starts_with(key) && error.contains(expected),
            "{values}: {error}"
        );
        assert_eq!(overlay(&base(), &set(values), ALLOWED), Err(error));
    }
}

#[test]
fn describe_numbers_from_1_and_lists_the_values_in_key_order_as_json() {
    let office = Period {
        set: set(json!({"min_idle": 4, "max_starts_per_run": 20})),
        ..period("* 8-17 * * 1-5", "Europe/Berlin")
    };
    let sunday = Period {
        set: set(json!({"idle_cooldown": "1h", "tags": ["a", "b"]})),
        ..period("0 0 * * SUN", "UTC")
    };
    let periods = [office, sunday, period("* * * * *", "UTC")];
    assert_eq!(
        describe(&periods, 0),
        concat!(
            r#"schedule period 1 (cron "* 8-17 * * 1-5" in Europe/Berlin) "#,
            "sets max_starts_per_run=20, min_idle=4"
        )
    );
    assert_eq!(
        describe(&periods, 1),
        r#"schedule period 2 (cron "0 0 * * SUN" in UTC) sets idle_cooldown="1h", tags=["a","b"]"#
    );
    assert_eq!(
        describe(&periods, 2),
        r#"schedule period 3 (cron "* * * * *" in UTC) sets nothing"#
    );
}

fn overlay_unit(
    base: &Settings,
    set: &BTreeMap<String, Value>,
    allowed: &[&str],
) -> Result<(), String> {
    overlay(base, set, allowed).map(drop)
}

#[test]
fn settling_records_which_period_is_in_effect_apart_from_its_description() {
    let noon = |min_idle: Value| Period {
        set: set(json!({ "min_idle": min_idle })),
        ..period("* 12 * * *", "Europe/Berlin")
    };
    let periods = [period("* 0-5 * * *", "UTC"), noon(json!(4))];
    let at = instant("2026-12-01T11:30:00Z"); // 12:30 in Berlin
    let (settled, in_effect) = settle(&base(), &periods, ALLOWED, at);
    assert_eq!(settled.min_idle, 4);
    let expected = PeriodInEffect {
        number: 2,
        cron: "* 12 * * *".into(),
        timezone: "Europe/Berlin".into(),
    };
    let in_effect = in_effect.expect("period 2 is in effect");
    assert_eq!(in_effect.period, expected);
    assert_eq!(in_effect.description, describe(&periods, 1));
    // A period whose values do not fit is ignored, and still named as the one in effect.
    let periods = [period("* 0-5 * * *", "UTC"), noon(json!("four"))];
    let (settled, in_effect) = settle(&base(), &periods, ALLOWED, at);
    assert_eq!(settled, base());
    let in_effect = in_effect.expect("period 2 is in effect");
    assert_eq!(in_effect.period, expected);
    assert!(
        in_effect.description.contains(" — ignored: set.min_idle: "),
        "{in_effect:?}"
    );
    assert_eq!(
        settle(&base(), &periods, ALLOWED, instant("2026-12-01T20:00:00Z")).1,
        None
    );
}
