//! `deploy/grafana/devicepool.json` checked for real: valid against the excerpt of Grafana's
//! published dashboard schema (`tests/upstream/grafana/`), and every panel's PromQL run by a
//! real Prometheus (Debian's) scraping a real Pushgateway that a real `apply` against the
//! simulated fleet pushed to. Skipped when either server is missing, except in CI.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use devicepool_sim::prometheus_process::{PrometheusProcess, prometheus_or_skip};
use devicepool_sim::pushgateway_process::{PushgatewayProcess, pushgateway_or_skip};
use serde_json::Value;

use crate::support::{Lab, pool};
use crate::upstream::mismatches;

/// The one series a panel may find absent, by name, while devicepool does not export it yet
/// (it is being added); once the pushed metrics name it, its panel must answer like any other.
const NOT_YET_EXPORTED: &str = "devicepool_pool_oldest_pending_seconds";

/// The dashboard as shipped.
fn dashboard() -> Value {
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

/// `expr` as Grafana would send it with `$pool` set to `pool` (a regex, since the variable is
/// multi-valued and the panels match it with `=~`) and `$__rate_interval` to 1m.
fn substituted(expr: &str, pool: &str) -> String {
    expr.replace("$__rate_interval", "1m")
        .replace("$pool", pool)
}

#[test]
fn the_dashboard_is_valid_against_grafanas_schema_excerpt() {
    let dashboard = dashboard();
    assert_eq!(schema_errors(&dashboard), Vec::<String>::new());
    assert_eq!(dashboard["uid"], "devicepool-fleet");
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    assert!(
        variables.iter().any(|v| v["name"] == "pool"),
        "{variables:?}"
    );
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
fn wait_for_series(prometheus: &PrometheusProcess, expr: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if prometheus.query(expr).is_ok_and(|r| !r.is_empty()) {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("Prometheus never scraped {expr} from the gateway");
}

#[test]
fn every_panel_query_answers_for_every_pool_in_a_real_prometheus() {
    if !pushgateway_or_skip() || !prometheus_or_skip() {
        return;
    }
    let gateway = PushgatewayProcess::start().expect("the gateway starts");
    let lab = Lab::new(vec![pool("a55", 3, 2), pool("p9", 2, 1)]);
    let out = lab
        .command(&["apply", lab.config_arg()])
        .env("DEVICEPOOL_METRICS_PUSH", gateway.url())
        .run();
    assert!(matches!(out.code, 0 | 2), "{}", out.stderr);
    let pushed = gateway.scrape();
    assert!(pushed.contains("devicepool_last_run_actions{"), "{pushed}");
    let target = gateway.url().trim_start_matches("http://");
    let prometheus = PrometheusProcess::start(target).expect("Prometheus starts");
    wait_for_series(&prometheus, "devicepool_last_run_actions");
    // The pool variable's query (`label_values(devicepool_pool_held, pool)`) lists the lab's.
    let dashboard = dashboard();
    let variable = (dashboard["templating"]["list"].as_array().unwrap().iter())
        .find(|v| v["name"] == "pool")
        .unwrap();
    assert_eq!(
        variable["query"],
        "label_values(devicepool_pool_held, pool)"
    );
    let listed: BTreeSet<String> = (prometheus.query("devicepool_pool_held").unwrap().iter())
        .map(|s| s["metric"]["pool"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(listed, BTreeSet::from(["a55".into(), "p9".into()]));
    let exported =
        |expr: &str| !expr.contains(NOT_YET_EXPORTED) || pushed.contains(NOT_YET_EXPORTED);
    let mut failures = Vec::new();
    for (title, expr) in panel_queries(&dashboard) {
        let pools: Vec<&str> = if expr.contains("$pool") {
            vec![".*", "a55", "p9"]
        } else {
            vec![".*"]
        };
        for pool in pools {
            let query = substituted(&expr, pool);
            match prometheus.query(&query) {
                Err(error) => failures.push(format!("{title}: {error}")),
                Ok(result) if result.is_empty() && exported(&expr) => {
                    failures.push(format!("{title}: nothing for pool {pool}: {query}"))
                }
                Ok(_) => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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
