//! `deploy/grafana/devicepool.json` checked for real: valid against the excerpt of Grafana's
//! published dashboard schema (`tests/upstream/grafana/`), and every panel's PromQL run by a
//! real Prometheus (Debian's) scraping a real Pushgateway that real `apply` runs against a
//! simulated fleet of every kind (device pools, a rack, runner pools; one pool held, one
//! disabled, a schedule period in effect) pushed to: every per-pool query answers for a pool
//! of each kind. Skipped when either server is missing, except in CI.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use devicepool_sim::prometheus_process::{PrometheusProcess, prometheus_or_skip};
use devicepool_sim::pushgateway_process::{PushgatewayProcess, pushgateway_or_skip};
use serde_json::Value;

use crate::dashboard_fleet::{AUTOGIT_PERIOD, DISABLED, HELD, POOLS, mixed_command, mixed_lab};
use crate::upstream::mismatches;

/// The dashboard as shipped.
pub(crate) fn dashboard() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana/devicepool.json");
    let text = std::fs::read_to_string(&path).expect("deploy/grafana/devicepool.json");
    serde_json::from_str(&text).expect("the dashboard is JSON")
}

/// What the excerpt of Grafana's schema finds wrong with `dashboard`.
fn schema_errors(dashboard: &Value) -> Vec<String> {
    mismatches("grafana/dashboard.schema.json", dashboard)
}

/// Every (panel title, PromQL expression) of the dashboard.
fn panel_queries(dashboard: &Value) -> Vec<(String, String)> {
    let panels = dashboard["panels"].as_array().expect("panels");
    let mut queries = Vec::new();
    for panel in panels {
        let title = panel["title"].as_str().expect("a title").to_string();
        let targets = panel["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{title}: no query");
        for target in targets {
            let expr = target["expr"].as_str().expect("an expr");
            queries.push((title.clone(), expr.to_string()));
        }
    }
    queries
}

/// `expr` as Grafana would send it with `$kind` set to `kind` and `$pool` to `pool` (regexes,
/// since the variables are multi-valued and the queries match them with `=~`) and
/// `$__rate_interval` to 1m.
pub(crate) fn substituted(expr: &str, kind: &str, pool: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$kind", kind)
        .replace("$pool", pool)
}

/// The values of `label` over the series of `selector`: what Grafana's
/// `label_values(selector, label)` variable query lists.
fn label_values(prometheus: &PrometheusProcess, query: &str) -> BTreeSet<String> {
    let inner = query
        .strip_prefix("label_values(")
        .and_then(|q| q.strip_suffix(')'))
        .expect("a label_values query");
    let (selector, label) = inner.rsplit_once(", ").expect("selector, label");
    (prometheus.query(selector).unwrap().iter())
        .map(|s| s["metric"][label].as_str().unwrap().to_string())
        .collect()
}

/// The query of the dashboard's variable `name`.
fn variable_query(dashboard: &Value, name: &str) -> String {
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let variable = variables.iter().find(|v| v["name"] == name).unwrap();
    variable["query"].as_str().unwrap().to_string()
}

#[test]
fn the_dashboard_is_valid_against_grafanas_schema_excerpt() {
    let dashboard = dashboard();
    assert_eq!(schema_errors(&dashboard), Vec::<String>::new());
    assert_eq!(dashboard["uid"], "devicepool-fleet");
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    for name in ["kind", "pool"] {
        assert!(variables.iter().any(|v| v["name"] == name), "{variables:?}");
    }
    // The excerpt constrains: a panel wider than the grid, or a property Grafana's schema
    // does not know, is refused.
    let mut wide = dashboard.clone();
    wide["panels"][0]["gridPos"]["w"] = 25.into();
    assert!(!schema_errors(&wide).is_empty());
    let mut foreign = dashboard;
    foreign["panels"][0]["colour"] = "red".into();
    assert!(!schema_errors(&foreign).is_empty());
}

/// Asks `prometheus` for `expr` until it answers something (the first scrapes may not have
/// happened yet), for up to 30 s.
pub(crate) fn wait_for_series(prometheus: &PrometheusProcess, expr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if prometheus.query(expr).is_ok_and(|r| !r.is_empty()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("Prometheus never scraped {expr} from the gateway");
}

/// The first value of the single series `query` answers, as Prometheus writes it.
fn single_value(prometheus: &PrometheusProcess, query: &str) -> String {
    let result = prometheus.query(query).unwrap();
    assert_eq!(result.len(), 1, "{query}: {result:?}");
    result[0]["value"][1].as_str().unwrap().to_string()
}

/// The query of the target `ref_id` of the panel titled `title`.
fn target_expr(dashboard: &Value, title: &str, ref_id: &str) -> String {
    let panels = dashboard["panels"].as_array().unwrap();
    let panel = panels.iter().find(|p| p["title"] == title).expect(title);
    let targets = panel["targets"].as_array().unwrap();
    let target = targets.iter().find(|t| t["refId"] == ref_id).unwrap();
    target["expr"].as_str().unwrap().to_string()
}

/// The dashboard's annotation that marks schedule period changes.
pub(crate) fn schedule_annotation(dashboard: &Value) -> Value {
    let annotations = dashboard["annotations"]["list"].as_array().unwrap();
    (annotations.iter())
        .find(|a| a["name"] == "Schedule period changes")
        .expect("the schedule annotation")
        .clone()
}

/// (kind, pool, period) of every series `query` answers: what the schedule annotation marks.
pub(crate) fn marked_periods(
    prometheus: &PrometheusProcess,
    query: &str,
) -> BTreeSet<(String, String, String)> {
    (prometheus.query(query).unwrap().iter())
        .map(|s| {
            let label = |name: &str| s["metric"][name].as_str().unwrap().to_string();
            (label("kind"), label("pool"), label("period"))
        })
        .collect()
}

#[test]
fn every_panel_query_answers_for_a_pool_of_every_kind_in_a_real_prometheus() {
    if !pushgateway_or_skip() || !prometheus_or_skip() {
        return;
    }
    let gateway = PushgatewayProcess::start().expect("the gateway starts");
    let lab = mixed_lab();
    // Twice: the second run finds the runners and the jobs the first one started.
    for _ in 0..2 {
        let out = mixed_command(&lab, &["apply", lab.config_arg()])
            .env("DEVICEPOOL_METRICS_PUSH", gateway.url())
            .run();
        assert_eq!(out.code, 4, "p9 is held: {}", out.stderr);
    }
    let pushed = gateway.scrape();
    assert!(pushed.contains("devicepool_last_run_actions{"), "{pushed}");
    let target = gateway.url().trim_start_matches("http://");
    let prometheus = PrometheusProcess::start(target).expect("Prometheus starts");
    wait_for_series(&prometheus, "devicepool_last_run_actions");
    let dashboard = dashboard();
    // The variables list every kind, and for each kind its pools.
    let kinds = label_values(&prometheus, &variable_query(&dashboard, "kind"));
    assert_eq!(kinds, POOLS.iter().map(|(k, _)| k.to_string()).collect());
    for (kind, pools) in POOLS {
        let query = substituted(&variable_query(&dashboard, "pool"), kind, ".*");
        let listed = label_values(&prometheus, &query);
        assert_eq!(
            listed,
            pools.iter().map(|p| p.to_string()).collect(),
            "{kind}"
        );
    }
    let mut failures = Vec::new();
    let mut answers = |title: &str, query: String| match prometheus.query(&query) {
        Err(error) => {
            failures.push(format!("{title}: {error}"));
            false
        }
        Ok(result) => !result.is_empty(),
    };
    let mut silent = Vec::new();
    for (title, expr) in panel_queries(&dashboard) {
        if !answers(&title, substituted(&expr, ".*", ".*")) {
            silent.push(format!("{title}: nothing for every pool: {expr}"));
        }
        if !expr.contains("$pool") {
            continue;
        }
        // A per-pool query answers for at least one pool of each kind, picked by both
        // variables as a user would.
        for (kind, pools) in POOLS {
            let any = (pools.iter()).any(|pool| answers(&title, substituted(&expr, kind, pool)));
            if !any {
                silent.push(format!(
                    "{title}: nothing for any {kind} of {pools:?}: {expr}"
                ));
            }
        }
    }
    failures.extend(silent);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The held and the disabled pool say so in their panels, each on its own.
    let (held_kind, held_pool) = HELD;
    let (off_kind, off_pool) = DISABLED;
    let held = |title: &str, ref_id: &str, (kind, pool): (&str, &str)| {
        let expr = target_expr(&dashboard, title, ref_id);
        single_value(&prometheus, &substituted(&expr, kind, pool))
    };
    for title in ["Pools held now", "Held or disabled, per pool"] {
        assert_eq!(held(title, "A", HELD), "1", "{title}");
        assert_eq!(held(title, "A", DISABLED), "0", "{title}");
        assert_eq!(held(title, "B", DISABLED), "1", "{title}");
        assert_eq!(held(title, "B", HELD), "0", "{title}");
    }
    let runs = target_expr(&dashboard, "Held runs in a row", "A");
    let query = substituted(&runs, held_kind, held_pool);
    assert_eq!(single_value(&prometheus, &query), "2");
    let all = substituted(&target_expr(&dashboard, "Pools held now", "B"), ".*", ".*");
    assert_eq!(
        single_value(&prometheus, &all),
        "1",
        "only {off_kind} {off_pool}"
    );
    // The roll-out panel answers 0 for every pool planned (nothing rolls out: the runners and
    // jobs the runs started carry today's spec, the rack's deploys no spec mark) and nothing for
    // the held and the disabled pool.
    let outdated = target_expr(&dashboard, "Outdated objects per pool", "A");
    for (kind, pools) in POOLS {
        for &pool in pools.iter() {
            let query = substituted(&outdated, kind, pool);
            if [HELD, DISABLED].contains(&(kind, pool)) {
                assert_eq!(prometheus.query(&query).unwrap(), Vec::<Value>::new());
            } else {
                assert_eq!(single_value(&prometheus, &query), "0", "{kind} {pool}");
            }
        }
    }
    // The schedule annotation names the period in effect for each device and runner pool
    // (every series is new to this Prometheus: each marks a change); racks have none.
    let schedule = schedule_annotation(&dashboard);
    let expr = schedule["expr"].as_str().unwrap();
    let marked = marked_periods(&prometheus, &substituted(expr, ".*", ".*"));
    let period = |kind: &str, pool: &str, period: &str| (kind.into(), pool.into(), period.into());
    let expected = BTreeSet::from([
        period("device_pool", "a55", "none"),
        period("device_pool", "p9", "none"),
        period("runner_pool", "autogit", AUTOGIT_PERIOD),
        period("runner_pool", "spare", "none"),
    ]);
    assert_eq!(marked, expected);
    // The annotation's text names the labels the series carries.
    for field in ["titleFormat", "textFormat"] {
        let format = schedule[field].as_str().unwrap();
        assert!(
            format.contains("{{pool}}") && format.contains("{{period}}"),
            "{format}"
        );
    }
    // The check bites: a misspelt series answers nothing, bad PromQL is an error.
    assert_eq!(
        prometheus.query("devicepool_pool_fre").unwrap(),
        Vec::<Value>::new()
    );
    let error = prometheus
        .query("sum by (pool (devicepool_pool_free)")
        .unwrap_err();
    assert!(error.contains("parse error"), "{error}");
}
