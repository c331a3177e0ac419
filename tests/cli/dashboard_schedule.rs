//! The dashboard's schedule annotation marks a change, not a period: through a real
//! Pushgateway and a real Prometheus, a pool whose period stays the same is not marked, and
//! one whose period changes is marked with the new one. Its 5-minute window is shortened to 2 s
//! so that the test need not wait 5 minutes; nothing else of the query changes.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use devicepool_sim::prometheus_process::{PrometheusProcess, prometheus_or_skip};
use devicepool_sim::pushgateway_process::{PushgatewayProcess, pushgateway_or_skip};

use crate::dashboard::{
    dashboard, marked_periods, schedule_annotation, substituted, wait_for_series,
};
use crate::schedules::{SCHEDULE, scheduled_lab};
use crate::support::Lab;

/// Plans `lab` with its schedules read at `now` and pushes the metrics to `gateway`.
fn push_at(lab: &Lab, gateway: &PushgatewayProcess, now: &str) {
    lab.command(&["plan", lab.config_arg()])
        .env("DEVICEPOOL_NOW", now)
        .env("DEVICEPOOL_METRICS_PUSH", gateway.url())
        .run()
        .expect_code(0);
}

#[test]
fn a_schedule_period_change_is_marked_and_an_unchanged_period_is_not() {
    if !pushgateway_or_skip() || !prometheus_or_skip() {
        return;
    }
    let gateway = PushgatewayProcess::start().expect("the gateway starts");
    let lab = scheduled_lab(SCHEDULE);
    // Tuesday 09:30 in Berlin: working hours, period 1.
    push_at(&lab, &gateway, "2026-12-01T08:30:00Z");
    let target = gateway.url().trim_start_matches("http://");
    let prometheus = PrometheusProcess::start(target).expect("Prometheus starts");
    let working_hours = "devicepool_pool_schedule_info{period=~\"period 1 .*\"}";
    wait_for_series(&prometheus, working_hours);
    let expr = schedule_annotation(&dashboard())["expr"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(expr.contains("offset 5m"), "{expr}");
    let query = substituted(&expr, ".*", ".*").replace("offset 5m", "offset 2s");
    // Scraped for more than the window with the same period: nothing to mark.
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(marked_periods(&prometheus, &query), BTreeSet::new());
    // 18:30 in Berlin: no period in effect any more; the change is marked once scraped.
    push_at(&lab, &gateway, "2026-12-01T17:30:00Z");
    let deadline = Instant::now() + Duration::from_secs(30);
    let marked = loop {
        let marked = marked_periods(&prometheus, &query);
        if !marked.is_empty() || Instant::now() > deadline {
            break marked;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let change = ("device_pool".into(), "a55".into(), "none".into());
    assert_eq!(marked, BTreeSet::from([change]));
}
