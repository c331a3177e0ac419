//! `--metrics-push`: a real run's metrics PUT to a real Pushgateway (Debian's
//! `prometheus-pushgateway` on loopback), read back from what it exposes for scraping: each
//! push replaces the group, the held-run counts and last success carry on from the gateway
//! without a file, and a push that fails is a warning that never changes the exit code.

use devicepool_sim::Fault;
use devicepool_sim::pushgateway_process::{PushgatewayProcess, pushgateway_or_skip};

use crate::support::{Lab, pool};

/// The p9 pool's task queue, failed with a 500 to hold p9.
const P9_QUEUE: &str = "/api/queue/v1/task-queues/proj-autophone/gecko-t-p9";

/// The grouping labels every sample of the lab's push carries, as the gateway adds them.
const GROUP: &str = "fleet=\"default\",instance=\"\",job=\"devicepool\"";

/// The value of the sample `name{labels}` the gateway exposes, its labels in the gateway's
/// (sorted) order.
fn scraped(text: &str, name: &str, labels: &str) -> Option<f64> {
    let series = format!("{name}{{{labels}}} ");
    let line = text.lines().find(|l| l.starts_with(&series))?;
    line[series.len()..].parse().ok()
}

fn pool_labels(pool: &str) -> String {
    format!("{GROUP},kind=\"device_pool\",partition=\"all\",pool=\"{pool}\"")
}

#[test]
fn each_push_replaces_the_group_and_carries_the_counts_from_the_gateway() {
    if !pushgateway_or_skip() {
        return;
    }
    let gateway = PushgatewayProcess::start().expect("the gateway starts");
    let lab = Lab::new(vec![pool("a55", 3, 2), pool("p9", 1, 1)]);
    lab.fleet
        .taskcluster
        .server()
        .inject("GET", P9_QUEUE, Fault::status(500));
    // A series of an older push to the same group: the first push replaces it.
    let group_url = format!(
        "{}/metrics/job/devicepool/fleet/default/partition/all",
        gateway.url()
    );
    let old = "# TYPE devicepool_gone gauge\ndevicepool_gone{partition=\"all\"} 1\n";
    ureq::put(&group_url).send(old).expect("an older push");
    assert!(gateway.scrape().contains("devicepool_gone"));
    let plan = || {
        lab.command(&["plan", lab.config_arg()])
            .env("DEVICEPOOL_METRICS_PUSH", gateway.url())
            .run()
    };
    plan().expect_code(4);
    let first = gateway.scrape();
    assert!(!first.contains("devicepool_gone"), "{first}");
    let held_runs = "devicepool_pool_held_runs";
    assert_eq!(
        scraped(&first, held_runs, &pool_labels("p9")),
        Some(1.0),
        "{first}"
    );
    assert_eq!(
        scraped(&first, "devicepool_pool_pending", &pool_labels("a55")),
        Some(2.0)
    );
    let run = format!("{GROUP},partition=\"all\"");
    let ended = scraped(&first, "devicepool_last_run_timestamp_seconds", &run).unwrap();
    let completed = "devicepool_last_completed_run_timestamp_seconds";
    assert_eq!(scraped(&first, completed, &run), Some(ended));
    // No file: the second run reads the count from the first push, and replaces it.
    plan().expect_code(4);
    let second = gateway.scrape();
    assert_eq!(
        scraped(&second, held_runs, &pool_labels("p9")),
        Some(2.0),
        "{second}"
    );
    let pushes = second
        .lines()
        .filter(|l| l.starts_with(&format!("{held_runs}{{")));
    assert_eq!(pushes.count(), 2, "one series per pool: {second}");
    // A run that stops before its desired state names the fleet pushes nothing: the
    // gateway keeps the last push, whose completed run then ages.
    let out = lab
        .command(&["plan", "missing.yaml"])
        .env("DEVICEPOOL_METRICS_PUSH", gateway.url())
        .run();
    out.expect_code(1);
    assert!(
        out.stderr.contains("the metrics are not pushed"),
        "{}",
        out.stderr
    );
    let third = gateway.scrape();
    assert_eq!(scraped(&third, held_runs, &pool_labels("p9")), Some(2.0));
}

#[test]
fn a_push_that_fails_is_a_counted_warning_and_the_run_still_succeeds() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = lab.run(&[
        "plan",
        lab.config_arg(),
        "--metrics-push",
        &format!("http://127.0.0.1:{port}"),
        "--metrics-file",
        "metrics.prom",
    ]);
    out.expect_code(0);
    assert!(
        out.stderr.contains("the metrics were not pushed"),
        "{}",
        out.stderr
    );
    let text = std::fs::read_to_string(lab.path("metrics.prom")).unwrap();
    let errors = "devicepool_last_run_api_errors{partition=\"all\",api=\"pushgateway\"} ";
    let line = text.lines().find(|l| l.starts_with(errors)).expect(errors);
    // The read of the previous push (no file yet) and the PUT both found nobody.
    let failed: f64 = line[errors.len()..].parse().unwrap();
    assert!(failed >= 1.0, "{text}");
}

#[test]
fn an_empty_push_url_is_no_push_and_a_bad_one_stops_before_any_request() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let out = lab
        .command(&["plan", lab.config_arg()])
        .env("DEVICEPOOL_METRICS_PUSH", "")
        .run();
    out.expect_code(0);
    assert!(!out.stderr.contains("pushed"), "{}", out.stderr);
    let sent = lab.requests().len();
    let out = lab.run(&["plan", lab.config_arg(), "--metrics-push", "gateway:9091"]);
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("--metrics-push must be an http:// or https:// URL of a Pushgateway"),
        "{}",
        out.stderr
    );
    assert_eq!(lab.requests().len(), sent);
    let secret = "https://ops:hunter2-push@gateway.example:9091";
    let out = lab.run(&["plan", lab.config_arg(), "--metrics-push", secret]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("must not carry credentials"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("hunter2-push"), "{}", out.stderr);
    assert!(!out.stdout.contains("hunter2-push"), "{}", out.stdout);
    assert_eq!(lab.requests().len(), sent);
}
