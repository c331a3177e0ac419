//! Device pools under the etcd lease: the six applies from six state directories
//! against one fleet start each job once, and a lease lost mid-burst starts no further
//! `hyperexecute` launch.

use devicepool_sim::Fault;

use super::etcd_server::EtcdServer;
use crate::support::{Lab, Running, pool};

/// Writes `<name>.yaml` beside the lab's desired state: its own state directory and the
/// etcd lock; returns its path.
fn host_config(lab: &Lab, etcd: &EtcdServer, name: &str) -> String {
    let yaml = lab.config_yaml().replacen(
        "settings:\n",
        &format!(
            "settings:\n  state_dir: ../state-{name}\n  lock: {}\n",
            etcd.lock_yaml("3s")
        ),
        1,
    );
    let path = lab.config.with_file_name(format!("{name}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path.to_str().unwrap().to_string()
}

/// Devices that got more than one of our launches.
fn doubly_launched(lab: &Lab) -> Vec<String> {
    let devices = lab.launched_devices();
    let mut twice: Vec<String> = devices
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0].clone())
        .collect();
    twice.dedup();
    twice
}

#[test]
fn six_applies_from_six_state_dirs_start_each_job_once() {
    let Some(etcd) = EtcdServer::start() else {
        return;
    };
    let lab = Lab::new(vec![pool("a55", 12, 12)]);
    lab.fleet
        .lambdatest
        .server()
        .inject("POST", "/__sim/launch", Fault::delay(200));
    let configs: Vec<String> = (0..6)
        .map(|i| host_config(&lab, &etcd, &format!("h{i}")))
        .collect();
    let children: Vec<Running> = configs
        .iter()
        .map(|c| lab.command(&["apply", c, "--format", "json"]).spawn())
        .collect();
    let codes: Vec<i32> = children.into_iter().map(|c| c.wait().code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, [0, 5, 5, 5, 5, 5], "{codes:?}");
    assert_eq!(
        lab.fleet.lambdatest.launches().len(),
        10,
        "max_starts_per_run is 10"
    );
    assert!(
        doubly_launched(&lab).is_empty(),
        "{:?}",
        doubly_launched(&lab)
    );
}

#[test]
fn a_lease_lost_mid_burst_starts_no_further_launch() {
    let Some(mut etcd) = EtcdServer::start() else {
        return;
    };
    let lab = Lab::new(vec![pool("a55", 12, 12)]);
    lab.fleet
        .lambdatest
        .server()
        .inject("POST", "/__sim/launch", Fault::delay(400));
    // One launch at a time, so the burst outlasts the lease.
    let path = host_config(&lab, &etcd, "h");
    let yaml = std::fs::read_to_string(&path).unwrap();
    std::fs::write(
        &path,
        yaml.replace("    stagger: 0ms\n", "    stagger: 0ms\n    parallel: 1\n"),
    )
    .unwrap();
    let running = lab.command(&["apply", &path, "--format", "json"]).spawn();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while lab
        .fleet
        .lambdatest
        .server()
        .requests()
        .iter()
        .all(|r| r.path != "/__sim/launch")
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    etcd.stop();
    let out = running.wait();
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    let report = out.json();
    let not_started = report["actions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| {
            a["error"]["class"] == "not_tried"
                && a["error"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("lease")
        })
        .count();
    assert!(not_started > 0, "{report}");
    assert!(lab.fleet.lambdatest.launches().len() < 10);
}
