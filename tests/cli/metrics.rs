//! `--metrics-file`: the Prometheus file a real run against the fakes writes, parsed back and
//! checked against what the run did; the last success and held-run counts carried from run to
//! run; promtool's checks of the file and of `deploy/prometheus/alerts.yml`.

use std::collections::BTreeMap;

use devicepool_sim::Fault;

use crate::support::{Lab, external_tool, pool, tried};

/// The p9 pool's task queue, failed with a 500 to hold p9.
const P9_QUEUE: &str = "/api/queue/v1/task-queues/proj-autophone/gecko-t-p9";

/// Every sample of a metrics file, `name{labels}` → value; every family has HELP and TYPE.
pub(crate) fn samples(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("`series value`");
        let name = series.split('{').next().unwrap();
        assert!(name.starts_with("devicepool_"), "{line}");
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "no HELP for {name}"
        );
        assert!(
            text.contains(&format!("# TYPE {name} gauge\n")),
            "no TYPE for {name}"
        );
        let value = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        assert!(
            out.insert(series.to_string(), value).is_none(),
            "{series} twice"
        );
    }
    out
}

/// The value of `name` for a device pool.
pub(crate) fn of_pool(m: &BTreeMap<String, f64>, name: &str, pool: &str) -> Option<f64> {
    let key = format!("{name}{{partition=\"all\",kind=\"device_pool\",pool=\"{pool}\"}}");
    m.get(&key).copied()
}

fn of_run(m: &BTreeMap<String, f64>, name: &str) -> f64 {
    m[&format!("{name}{{partition=\"all\"}}")]
}

fn of_api(m: &BTreeMap<String, f64>, name: &str, api: &str) -> f64 {
    m[&format!("{name}{{partition=\"all\",api=\"{api}\"}}")]
}

pub(crate) fn read(lab: &Lab) -> BTreeMap<String, f64> {
    samples(&std::fs::read_to_string(lab.path("metrics.prom")).expect("metrics written"))
}

fn now() -> f64 {
    jiff::Timestamp::now().as_second() as f64
}

#[test]
fn an_apply_writes_what_it_planned_did_and_sent() {
    let lab = Lab::new(vec![pool("a55", 3, 2), pool("p9", 2, 5)]);
    let taskcluster = lab.fleet.taskcluster.server();
    taskcluster.inject("GET", P9_QUEUE, Fault::status(500));
    let started = now();
    let out = lab
        .command(&["apply", lab.config_arg(), "--format", "json"])
        .env("DEVICEPOOL_METRICS_FILE", lab.path("metrics.prom"))
        .run();
    out.expect_code(4);
    let m = read(&lab);
    // a55: 2 tasks pending, 3 free devices, 2 jobs planned and started.
    assert_eq!(of_pool(&m, "devicepool_pool_pending", "a55"), Some(2.0));
    assert_eq!(of_pool(&m, "devicepool_pool_free", "a55"), Some(3.0));
    assert_eq!(of_pool(&m, "devicepool_pool_in_flight", "a55"), Some(0.0));
    assert_eq!(
        of_pool(&m, "devicepool_pool_actions_planned", "a55"),
        Some(2.0)
    );
    let report = out.json();
    let done = tried(&report, "device_pool").len() as f64;
    assert_eq!(done, 2.0);
    assert_eq!(
        of_pool(&m, "devicepool_pool_actions_done", "a55"),
        Some(done)
    );
    assert_eq!(of_pool(&m, "devicepool_pool_held", "a55"), Some(0.0));
    // p9 is held: no figures, nothing planned.
    assert_eq!(of_pool(&m, "devicepool_pool_held", "p9"), Some(1.0));
    assert_eq!(of_pool(&m, "devicepool_pool_held_runs", "p9"), Some(1.0));
    assert_eq!(of_pool(&m, "devicepool_pool_pending", "p9"), None);
    assert_eq!(
        of_pool(&m, "devicepool_pool_actions_planned", "p9"),
        Some(0.0)
    );
    let actions = "devicepool_last_run_actions{partition=\"all\",kind=\"device_pool\",action=\"start_job\",outcome=\"done\"}";
    assert_eq!(m[actions], 2.0);
    // Every request the Taskcluster fake got, the 500 (never retried) as an error.
    let got = taskcluster.requests();
    let queue = "/task-queues/proj-autophone%2Fgecko-t-p9/";
    let failed = got.iter().filter(|r| r.path.contains(queue)).count();
    assert_eq!(failed, 1);
    let api = "taskcluster";
    assert_eq!(
        of_api(&m, "devicepool_last_run_api_requests", api),
        got.len() as f64
    );
    assert_eq!(
        of_api(&m, "devicepool_last_run_api_errors", api),
        failed as f64
    );
    assert!(of_api(&m, "devicepool_last_run_api_request_duration_seconds", api) > 0.0);
    assert_eq!(
        of_api(&m, "devicepool_last_run_api_requests", "gitlab"),
        0.0
    );
    // Exit 4 is not a success, and none came before.
    assert_eq!(of_run(&m, "devicepool_last_run_exit_code"), 4.0);
    let last_run = of_run(&m, "devicepool_last_run_timestamp_seconds");
    assert!((started..=now()).contains(&last_run), "{last_run}");
    assert_eq!(of_run(&m, "devicepool_last_success_timestamp_seconds"), 0.0);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(lab.path("metrics.prom"))
            .unwrap()
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o644);
}

#[test]
fn the_last_success_and_held_runs_carry_over_failed_runs() {
    let lab = Lab::new(vec![pool("a55", 1, 1), pool("p9", 1, 1)]);
    let plan = |lab: &Lab| {
        lab.command(&["plan", lab.config_arg(), "--metrics-file", "metrics.prom"])
            .run()
    };
    plan(&lab).expect_code(0);
    let success = of_run(&read(&lab), "devicepool_last_success_timestamp_seconds");
    assert!(success > 0.0);
    lab.fleet
        .taskcluster
        .server()
        .inject("GET", P9_QUEUE, Fault::status(500));
    for run in 1..=3 {
        plan(&lab).expect_code(4);
        let m = read(&lab);
        assert_eq!(
            of_pool(&m, "devicepool_pool_held_runs", "p9"),
            Some(run as f64)
        );
        assert_eq!(of_pool(&m, "devicepool_pool_held_runs", "a55"), Some(0.0));
        assert_eq!(
            of_run(&m, "devicepool_last_success_timestamp_seconds"),
            success
        );
    }
    // A run that fails before its snapshot (no desired state) says so and keeps the counts.
    let out = lab.run(&["plan", "missing.yaml", "--metrics-file", "metrics.prom"]);
    out.expect_code(1);
    let m = read(&lab);
    assert_eq!(of_run(&m, "devicepool_last_run_exit_code"), 1.0);
    assert_eq!(of_pool(&m, "devicepool_pool_held_runs", "p9"), Some(3.0));
    assert_eq!(of_pool(&m, "devicepool_pool_held", "p9"), None);
    assert_eq!(
        of_run(&m, "devicepool_last_success_timestamp_seconds"),
        success
    );
}

#[test]
fn a_metrics_file_that_cannot_be_written_fails_before_any_request() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let out = lab.run(&[
        "plan",
        lab.config_arg(),
        "--metrics-file",
        "nowhere/metrics.prom",
    ]);
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("cannot write the metrics to nowhere/metrics.prom"),
        "{}",
        out.stderr
    );
    assert!(lab.requests().is_empty());
}

#[test]
fn promtool_accepts_the_file_and_the_alert_rules() {
    let lab = Lab::new(vec![pool("a55", 2, 1), pool("p9", 1, 1)]);
    lab.fleet
        .taskcluster
        .server()
        .inject("GET", P9_QUEUE, Fault::status(500));
    lab.run(&["apply", lab.config_arg(), "--metrics-file", "metrics.prom"])
        .expect_code(4);
    let text = std::fs::read_to_string(lab.path("metrics.prom")).unwrap();
    let Some(out) = external_tool("promtool", &["check", "metrics"], &text) else {
        return;
    };
    assert_eq!(
        out.code, 0,
        "promtool check metrics:\n{}{}",
        out.stdout, out.stderr
    );
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/prometheus");
    for args in [
        ["check", "rules", &format!("{dir}/alerts.yml")],
        ["test", "rules", &format!("{dir}/alerts_test.yml")],
    ] {
        let out = external_tool("promtool", &args, "").expect("promtool");
        assert_eq!(
            out.code, 0,
            "promtool {args:?}:\n{}{}",
            out.stdout, out.stderr
        );
    }
}

#[test]
fn a_damaged_line_of_the_previous_file_is_not_carried_forward() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let held = "devicepool_pool_held_runs";
    let kept = format!("{held}{{partition=\"all\",kind=\"device_pool\",pool=\"p9\"}} 3");
    let damaged = [
        format!("{held}{{partition=\"all\",kind=\"device_pool\",pool=\"cut\" 7"),
        format!("{held}{{partition=\"all\",pool=\"bad\\q\"}} 2"),
        format!("{held}{{partition=\"all\",pool=\"two\"}} 2 3 4"),
        format!("{held}{{partition=\"all\",pool=\"word\"}} many"),
    ];
    let previous = format!("# HELP {held} x\n{kept}\n{}\n", damaged.join("\n"));
    std::fs::write(lab.path("metrics.prom"), previous).unwrap();
    // A run that fails before its snapshot carries the held-run counts it read.
    let out = lab.run(&["plan", "missing.yaml", "--metrics-file", "metrics.prom"]);
    out.expect_code(1);
    let text = std::fs::read_to_string(lab.path("metrics.prom")).unwrap();
    for pool in ["cut", "bad", "two", "word"] {
        assert!(!text.contains(&format!("pool=\"{pool}")), "{pool}: {text}");
    }
    assert_eq!(of_pool(&samples(&text), held, "p9"), Some(3.0), "{text}");
}

#[test]
fn only_series_with_exactly_the_pool_labels_are_carried_forward_once_each() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let held = "devicepool_pool_held_runs";
    let previous = [
        format!("{held}{{partition=\"all\",kind=\"device_pool\",pool=\"p9\"}} 3"),
        // The same series with its labels in another order: carried once, not twice.
        format!("{held}{{pool=\"p9\",kind=\"device_pool\",partition=\"all\"}} 4"),
        // A label given twice, a label missing, a foreign label: node_exporter refuses the
        // first, and this devicepool never writes the others.
        format!("{held}{{partition=\"all\",kind=\"device_pool\",pool=\"d1\",pool=\"d2\"}} 2"),
        format!("{held}{{partition=\"all\",pool=\"short\"}} 2"),
        format!("{held}{{partition=\"all\",kind=\"device_pool\",pool=\"extra\",x=\"1\"}} 2"),
    ];
    std::fs::write(lab.path("metrics.prom"), previous.join("\n") + "\n").unwrap();
    let out = lab.run(&["plan", "missing.yaml", "--metrics-file", "metrics.prom"]);
    out.expect_code(1);
    let text = std::fs::read_to_string(lab.path("metrics.prom")).unwrap();
    for pool in ["d1", "d2", "short", "extra"] {
        assert!(
            !text.contains(&format!("pool=\"{pool}\"")),
            "{pool}: {text}"
        );
    }
    let p9: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with(held) && l.contains("pool=\"p9\""))
        .collect();
    assert_eq!(
        p9,
        [format!(
            "{held}{{partition=\"all\",kind=\"device_pool\",pool=\"p9\"}} 4"
        )],
        "{text}"
    );
}

#[test]
fn a_200_whose_body_does_not_decode_counts_as_an_api_error() {
    let lab = Lab::new(vec![pool("a55", 1, 1), pool("p9", 1, 1)]);
    let taskcluster = lab.fleet.taskcluster.server();
    // Well-formed JSON, answered 200, but not the counts schema: a string where a number goes.
    let off_schema = Fault::status(200).with_body(r#"{"pendingTasks": "many", "claimedTasks": 0}"#);
    taskcluster.inject("GET", P9_QUEUE, off_schema);
    let out = lab
        .command(&["plan", lab.config_arg(), "--metrics-file", "metrics.prom"])
        .run();
    out.expect_code(4);
    let m = read(&lab);
    assert_eq!(of_pool(&m, "devicepool_pool_held", "p9"), Some(1.0));
    assert_eq!(
        of_api(&m, "devicepool_last_run_api_errors", "taskcluster"),
        1.0
    );
    assert_eq!(
        of_api(&m, "devicepool_last_run_api_errors", "lambdatest"),
        0.0
    );
}

/// The value of `name` for a device pool's items in `state`.
fn of_items(m: &BTreeMap<String, f64>, pool: &str, state: &str) -> Option<f64> {
    let key = format!(
        "devicepool_pool_items{{partition=\"all\",kind=\"device_pool\",pool=\"{pool}\",state=\"{state}\"}}"
    );
    m.get(&key).copied()
}

#[test]
fn devices_are_counted_by_state_and_a_disabled_pool_says_so() {
    let lab = Lab::new(vec![pool("a55", 3, 2), pool("p9", 2, 5)]);
    // p9 is the last pool of the file: switched off.
    std::fs::write(&lab.config, lab.config_yaml() + "    disabled: true\n").unwrap();
    lab.run(&["plan", lab.config_arg(), "--metrics-file", "metrics.prom"])
        .expect_code(0);
    let m = read(&lab);
    // a55: 2 pending tasks, so 2 of its 3 free devices get a job and 1 is spare.
    assert_eq!(of_items(&m, "a55", "start"), Some(2.0));
    assert_eq!(of_items(&m, "a55", "spare"), Some(1.0));
    let a55_items = m
        .keys()
        .filter(|k| k.starts_with("devicepool_pool_items") && k.contains("\"a55\""));
    assert_eq!(a55_items.count(), 2);
    assert_eq!(of_pool(&m, "devicepool_pool_disabled", "a55"), Some(0.0));
    // p9 is not a gap: it says it is disabled (and not held), with no items or figures.
    assert_eq!(of_pool(&m, "devicepool_pool_disabled", "p9"), Some(1.0));
    assert_eq!(of_pool(&m, "devicepool_pool_held", "p9"), Some(0.0));
    assert_eq!(of_items(&m, "p9", "spare"), None);
    assert_eq!(of_pool(&m, "devicepool_pool_pending", "p9"), None);
}

#[test]
fn a_run_that_holds_a_pool_completes_without_succeeding() {
    let lab = Lab::new(vec![pool("a55", 1, 1), pool("p9", 1, 1)]);
    lab.fleet
        .taskcluster
        .server()
        .inject("GET", P9_QUEUE, Fault::status(500));
    let plan = || lab.run(&["plan", lab.config_arg(), "--metrics-file", "metrics.prom"]);
    plan().expect_code(4);
    let m = read(&lab);
    let ended = of_run(&m, "devicepool_last_run_timestamp_seconds");
    // Exit 4: not a success, but a completed run (the held pool has its own series).
    assert_eq!(of_run(&m, "devicepool_last_success_timestamp_seconds"), 0.0);
    assert_eq!(
        of_run(&m, "devicepool_last_completed_run_timestamp_seconds"),
        ended
    );
    // A run that fails outright keeps the last completed run's time.
    lab.run(&["plan", "missing.yaml", "--metrics-file", "metrics.prom"])
        .expect_code(1);
    let m = read(&lab);
    assert_eq!(
        of_run(&m, "devicepool_last_completed_run_timestamp_seconds"),
        ended
    );
}
