//! Schedules (issue 12), through the binary: a pool's settings change by time of day in the
//! period's time zone, previewed with `DEVICEPOOL_NOW`; a bad period is refused at
//! file:line:col before any request.

use crate::support::{Lab, pool, pool_of};

/// Working hours in Berlin: at most 2 starts per run; at night (Berlin) the pool is off.
pub(crate) const SCHEDULE: &str = "    schedule:
      - cron: '* 8-17 * * 1-5'
        timezone: Europe/Berlin
        set: {max_starts_per_run: 2}
      - cron: '* 0-5 * * *'
        timezone: Europe/Berlin
        set: {disabled: true}
";

pub(crate) fn scheduled_lab(schedule: &str) -> Lab {
    let lab = Lab::new(vec![pool("a55", 6, 6)]);
    std::fs::write(&lab.config, lab.config_yaml() + schedule).unwrap();
    lab
}

fn plan_at(lab: &Lab, now: &str) -> serde_json::Value {
    let out = lab
        .command(&["plan", lab.config_arg(), "--format", "json"])
        .env("DEVICEPOOL_NOW", now)
        .run();
    out.expect_code(0);
    out.json()
}

#[test]
fn a_period_changes_the_pools_settings_only_while_it_is_in_effect_in_its_time_zone() {
    let lab = scheduled_lab(SCHEDULE);
    // Tuesday 09:30 in Berlin (08:30 UTC): working hours, two starts.
    let plan = plan_at(&lab, "2026-12-01T08:30:00Z");
    let a55 = pool_of(&plan, "a55");
    assert_eq!(a55["starts"].as_array().unwrap().len(), 2, "{a55:#}");
    assert_eq!(a55["bound"], "max_starts_per_run");
    assert_eq!(
        a55["schedule"],
        "schedule period 1 (cron \"* 8-17 * * 1-5\" in Europe/Berlin) sets max_starts_per_run=2"
    );
    // Which period it is, apart from its wording: what the metrics label it by.
    let period =
        serde_json::json!({"number": 1, "cron": "* 8-17 * * 1-5", "timezone": "Europe/Berlin"});
    assert_eq!(a55["schedule_period"], period, "{a55:#}");
    // 17:30 UTC is 18:30 in Berlin: outside, the pool's own cap of 10 applies.
    let plan = plan_at(&lab, "2026-12-01T17:30:00Z");
    let a55 = pool_of(&plan, "a55");
    assert_eq!(a55["starts"].as_array().unwrap().len(), 6, "{a55:#}");
    assert!(a55.get("schedule").is_none(), "{a55:#}");
    assert!(a55.get("schedule_period").is_none(), "{a55:#}");
    // Saturday 09:30 in Berlin: not a weekday.
    let plan = plan_at(&lab, "2026-12-05T08:30:00Z");
    assert_eq!(pool_of(&plan, "a55")["starts"].as_array().unwrap().len(), 6);
    // 23:30 UTC on Tuesday is 00:30 on Wednesday in Berlin: the night period disables it.
    let plan = plan_at(&lab, "2026-12-01T23:30:00Z");
    let a55 = pool_of(&plan, "a55");
    assert_eq!(a55["status"]["state"], "disabled", "{a55:#}");

    let text = lab
        .command(&["plan", lab.config_arg()])
        .env("DEVICEPOOL_NOW", "2026-12-01T23:30:00Z")
        .run();
    assert!(
        text.stdout.contains(
            "device pool a55 (proj-autophone/gecko-t-a55): disabled\n  schedule period 2 \
             (cron \"* 0-5 * * *\" in Europe/Berlin) sets disabled=true (in effect)"
        ),
        "{}",
        text.stdout
    );
}

#[test]
fn explain_names_the_period_in_effect() {
    let lab = scheduled_lab(SCHEDULE);
    let out = lab
        .command(&["explain", "a55", lab.config_arg()])
        .env("DEVICEPOOL_NOW", "2026-12-01T08:30:00Z")
        .run();
    out.expect_code(0);
    assert!(
        out.stdout.contains(
            "schedule period 1 (cron \"* 8-17 * * 1-5\" in Europe/Berlin) sets \
             max_starts_per_run=2 (in effect)"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn validate_refuses_a_bad_cron_an_unknown_zone_and_a_setting_a_schedule_cannot_change() {
    let lab = scheduled_lab(
        "    schedule:
      - cron: '* 8-25 * * 1-5'
        set: {max_starts_per_run: 2}
      - cron: '* * * * *'
        timezone: Europe/Berln
        set: {disabled: true}
      - cron: '* * * * *'
        set: {task_queue: other/queue}
      - cron: '* * * * *'
        set: {max_starts_per_run: many}
      - cron: '* * * * *'
        set: {weight: 0}
",
    );
    let out = lab.run(&["validate", lab.config_arg()]);
    out.expect_code(1);
    for problem in [
        "bad hour field \"8-25\": 25 is outside 0-23",
        "timezone \"Europe/Berln\" is not a known IANA time zone",
        "set.task_queue is not a setting a schedule can change (it can change: \
         max_starts_per_run, disabled, priority, weight, min_devices)",
        "set.max_starts_per_run: invalid type: string \"many\", expected u32",
        "weight must be at least 1",
    ] {
        assert!(out.stderr.contains(problem), "{problem:?}:\n{}", out.stderr);
    }
    // Each problem points into the file at its period.
    let located = out
        .stderr
        .lines()
        .filter(|l| l.contains("devicepool.yaml:") && l.contains("schedule"))
        .count();
    assert!(located >= 4, "{}", out.stderr);
    assert!(lab.requests().is_empty(), "validate sends no request");
}

/// The `period` of `a55`'s `devicepool_pool_schedule_info` in the metrics file `plan` writes
/// when its schedules are read at `now`; the series is there exactly once.
fn period_in_metrics(lab: &Lab, now: &str) -> String {
    let args = ["plan", lab.config_arg(), "--metrics-file", "metrics.prom"];
    lab.command(&args)
        .env("DEVICEPOOL_NOW", now)
        .run()
        .expect_code(0);
    let metrics = crate::metrics::read(lab);
    let head = "devicepool_pool_schedule_info{partition=\"all\",kind=\"device_pool\",pool=\"a55\",period=\"";
    let periods: Vec<(&String, &f64)> = (metrics.iter())
        .filter(|(series, _)| series.starts_with(head))
        .collect();
    assert_eq!(periods.len(), 1, "{metrics:?}");
    let (series, value) = periods[0];
    assert_eq!(*value, 1.0);
    series[head.len()..].trim_end_matches("\"}").to_string()
}

#[test]
fn the_metrics_name_the_period_in_effect_or_none() {
    let lab = scheduled_lab(SCHEDULE);
    let working_hours = period_in_metrics(&lab, "2026-12-01T08:30:00Z");
    assert_eq!(
        working_hours,
        r#"period 1 (cron \"* 8-17 * * 1-5\" in Europe/Berlin)"#
    );
    assert_eq!(period_in_metrics(&lab, "2026-12-01T17:30:00Z"), "none");
    // The night period disables the pool: it still names its period.
    let night = period_in_metrics(&lab, "2026-12-01T23:30:00Z");
    assert_eq!(night, r#"period 2 (cron \"* 0-5 * * *\" in Europe/Berlin)"#);
    let metrics = crate::metrics::read(&lab);
    assert_eq!(
        crate::metrics::of_pool(&metrics, "devicepool_pool_disabled", "a55"),
        Some(1.0)
    );
}
