//! Racks against results as big as a real Testflinger's: every phase's log and serial log
//! inline, ten results of 10 MB each. The outcomes (failed provision, failed test, cancelled
//! before provision, ok) must still be read, in bounded memory; the bytes, wall time and peak
//! memory of the plan are printed (run with `--nocapture`).

use devicepool_sim::Fleet;
use serde_json::{Value, json};

use crate::support::{LabDir, devicepool, peak_rss_bytes};

/// Bytes of each `<phase>_output` and `<phase>_serial`: two phases reported, four logs, about
/// 10.2 MB of JSON per result (the serial logs' escapes add to it), as on the real server.
const LOG_BYTES: usize = 2_290_000;

/// The statuses a machine's last deploy reported, and the plan's outcome and note for it.
type Deploy = ([(&'static str, i64); 2], &'static str, &'static str);

const OK: Deploy = ([("setup", 0), ("provision", 0)], "ok", "");
const NOT_PROVISIONED: &str = "cancelled before provision, not provisioned";

/// host-01..10's last deploys, in order.
const DEPLOYS: [Deploy; 10] = [
    (
        [("setup", 0), ("provision", 1)],
        "failed",
        "provision exit 1",
    ),
    ([("setup", 0), ("cleanup", 0)], "failed", NOT_PROVISIONED),
    ([("provision", 0), ("test", 3)], "failed", "test exit 3"),
    OK,
    OK,
    (
        [("setup", 0), ("provision", 2)],
        "failed",
        "provision exit 2",
    ),
    OK,
    OK,
    OK,
    ([("setup", 1), ("provision", 0)], "failed", "setup exit 1"),
];

fn host(i: usize) -> String {
    format!("host-{:02}", i + 1)
}

/// A 10-machine rack, each machine deployed by us 6 hours ago with the statuses of `DEPLOYS`,
/// each result carrying about 10.2 MB of logs.
fn big_results_lab() -> (Fleet, LabDir) {
    let fleet = Fleet::start().unwrap();
    let (maas, tf) = (&fleet.maas, &fleet.testflinger);
    for (i, (statuses, _, _)) in DEPLOYS.iter().enumerate() {
        let host = host(i);
        maas.add_machine(&host, &["rack-a"], "Deployed");
        tf.add_agent(&host, "waiting", &[&host], "TOR3", None);
        let body = json!({
            "job_queue": host,
            "tags": ["devicepool", "rack:rack-a", format!("agent:{host}")],
            "provision_data": {"distro": "noble"},
        });
        let mut response = ureq::post(format!("{}/v1/job", tf.url()))
            .send_json(&body)
            .unwrap();
        let reply: Value = response.body_mut().read_json().unwrap();
        let id = reply["job_id"].as_str().unwrap();
        assert!(tf.advance_job(id, "setup"));
        assert!(tf.complete_job(id, statuses));
    }
    tf.advance_clock(6 * 3600 + 60);
    tf.set_result_log_bytes(LOG_BYTES);
    let dir = LabDir::new(&["racks.yaml"]);
    let config = format!(
        "version: 1\nsettings:\n  state_dir: state\n  http: {{timeout: 20s, retries: 0}}\nsources:\n  maas:\n    url: {}\n    api_key_env: MAAS_API_KEY\n  testflinger:\n    url: {}\nracks:\n  rack-a:\n    maas_tags: [rack-a]\n    every: 6h\n",
        maas.url(),
        tf.url()
    );
    std::fs::write(dir.path().join("racks.yaml"), config).unwrap();
    (fleet, dir)
}

#[test]
fn ten_results_of_ten_megabytes_are_read_and_judged_in_bounded_memory() {
    let (fleet, dir) = big_results_lab();
    let plan = || {
        devicepool(&["plan", "racks.yaml", "--format", "json"])
            .current_dir(dir.path())
            .env("MAAS_API_KEY", fleet.maas.api_key())
            .env("DEVICEPOOL_SIM_CLOCK", fleet.testflinger.now().to_string())
    };
    let report = dir.path().join("peak-rss");
    let started = std::time::Instant::now();
    let out = match plan().measured(&report) {
        Some(measured) => measured.run(),
        None => plan().run(),
    };
    let wall = started.elapsed();
    let results: Vec<usize> = (fleet.testflinger.server().response_bytes().into_iter())
        .filter(|(path, _)| path.starts_with("/v1/result/"))
        .map(|(_, bytes)| bytes)
        .collect();
    let bytes: usize = results.iter().sum();
    println!(
        "plan, 10 results: {} bytes of results read ({} each at most), {:.2} s wall",
        bytes,
        results.iter().max().unwrap_or(&0),
        wall.as_secs_f64()
    );
    let peak = report.exists().then(|| peak_rss_bytes(&report));
    if let Some(peak) = peak {
        println!("plan, 10 results: peak RSS {:.1} MB", peak as f64 / 1e6);
    }
    out.expect_code(0);
    assert_eq!(results.len(), 10, "one result read per due machine");
    assert!(results.iter().all(|b| *b > 10_000_000), "{results:?}");
    let json = out.json();
    let machines = json["racks"][0]["machines"].as_array().unwrap();
    for (i, (_, outcome, note)) in DEPLOYS.iter().enumerate() {
        let host = host(i);
        let machine = machines.iter().find(|m| m["hostname"] == host).unwrap();
        let last = &machine["last_deploy"];
        assert_eq!(
            (&last["outcome"], &last["note"]),
            (&json!(outcome), &json!(note)),
            "{host}: {machine}"
        );
        assert_eq!(machine["state"], "deploy", "{host}: {machine}");
    }
    // Ten 10 MB bodies never held: far under one of them per result read.
    if let Some(peak) = peak {
        assert!(peak < 60_000_000, "peak RSS {peak} bytes");
    }
}
