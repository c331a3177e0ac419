//! Throughput benchmarks. They print figures and assert nothing about time (`cargo bench`).
//!
//! 1. snapshot + plan for 100 pools × 60 devices with 25 ms injected on every request: wall
//!    time against the sum of all request latencies (what a one-request-at-a-time client pays).
//! 2. apply of 60 launches through the real binary, with a fake `hyperexecute` that takes 1 s
//!    each (the seed system needs about 6 minutes for such a burst).
//! 3. the snapshot of one runner pool of 40 runners (three GitLab reads each) with 25 ms
//!    injected on every GitLab and Docker request.

use std::path::Path;
use std::time::{Duration, Instant};

use devicepool::clients::ReadCredentials;
use devicepool::load;
use devicepool::plan::{Origin, plan};
use devicepool::secret::{Redactor, Secret};
use devicepool::snapshot::read::snapshot;
use devicepool_sim::{Fault, Fleet, SIM_ACCESS_KEY, SIM_USERNAME};

const LATENCY_MS: u64 = 25;

fn main() {
    snapshot_and_plan(100, 60);
    for parallel in [10, 20] {
        apply_burst(60, parallel);
    }
    runner_pool_snapshot(40);
}

/// A snapshot of `desired`'s sources, and how long it took.
fn timed_snapshot(
    desired: &load::Desired,
    credentials: &ReadCredentials,
) -> (devicepool::snapshot::Snapshot, Duration) {
    let started = Instant::now();
    let snap = snapshot(
        desired,
        credentials,
        &Redactor::default(),
        jiff::Timestamp::now(),
    );
    (snap, started.elapsed())
}

fn runner_pool_snapshot(runners: usize) {
    let fleet = Fleet::start().expect("fleet");
    let gitlab = &fleet.gitlab;
    for i in 1..=runners {
        gitlab.add_runner(&format!("devicepool-ci-1-{i}"), &["ci"], false);
    }
    gitlab.add_pending_job("group/app", &["ci"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("runners.yaml");
    let yaml = format!(
        "version: 1\nsettings:\n  http: {{retries: 0}}\nsources:\n  gitlab: {{url: '{}', token_env: GITLAB_TOKEN}}\n  docker: {{host: '{}'}}\nrunner_pools:\n  ci:\n    tags: [ci]\n    projects: [group/app]\n    image: gitlab/gitlab-runner:latest\n    max_runners: {runners}\n",
        gitlab.url(),
        fleet.docker.host()
    );
    std::fs::write(&path, yaml).unwrap();
    let loaded = load::load(&path).expect("valid config");
    for server in [gitlab.server(), fleet.docker.server()] {
        server.inject("*", "/", Fault::delay(LATENCY_MS));
    }
    let credentials = ReadCredentials {
        lambdatest_username: Secret::new(""),
        lambdatest_access_key: Secret::new(""),
        maas_api_key: Secret::new(""),
        testflinger_tokens: None,
        gitlab_token: Secret::new(gitlab.admin_token()),
        docker_host: fleet.docker.host(),
    };
    let (snap, wall) = timed_snapshot(&loaded.desired, &credentials);
    let requests = gitlab.server().requests().len() + fleet.docker.server().requests().len();
    let serial = Duration::from_millis(LATENCY_MS * requests as u64);
    let read = snap
        .runner_pools
        .get("ci")
        .map(|r| r.as_ref().map(|s| s.runners.len()));
    println!(
        "runner pool snapshot, {runners} runners, {LATENCY_MS} ms per request: {requests} requests, \
         sum of latencies {:.2} s, wall {:.3} s, {:.1}x faster than serial; runners read: {read:?}",
        serial.as_secs_f64(),
        wall.as_secs_f64(),
        serial.as_secs_f64() / wall.as_secs_f64(),
    );
}

fn config(
    fleet: &Fleet,
    pools: usize,
    devices: usize,
    pending: u64,
    extra: &str,
    cli: &Path,
) -> String {
    let mut yaml = format!(
        "version: 1\nsettings:\n{extra}sources:\n  taskcluster: {{root_url: '{}'}}\n  lambdatest:\n    api_url: '{lt}'\n    devices_url: '{lt}'\n    cli: '{}'\n    max_initiated: 1000\ndevice_pools:\n",
        fleet.taskcluster.url(),
        cli.display(),
        lt = fleet.lambdatest.url()
    );
    for p in 0..pools {
        let queue = format!("proj-autophone/gecko-t-bench-{p:03}");
        fleet.taskcluster.set_counts(&queue, pending, 0);
        let udids: Vec<String> = (0..devices).map(|d| format!("P{p:03}-D{d:02}")).collect();
        for udid in &udids {
            fleet.lambdatest.add_device(udid, "Galaxy A55 5G", "active");
        }
        yaml.push_str(&format!(
            "  bench-{p:03}:\n    task_queue: {queue}\n    client_id: c\n    access_token_env: TC_TOKEN\n    max_starts_per_run: {devices}\n    devices: [{}]\n",
            udids.join(", ")
        ));
    }
    yaml
}

fn snapshot_and_plan(pools: usize, devices: usize) {
    let fleet = Fleet::start().expect("fleet");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.yaml");
    std::fs::write(
        &path,
        config(
            &fleet,
            pools,
            devices,
            10,
            "  http: {retries: 0}\n",
            Path::new("hyperexecute"),
        ),
    )
    .unwrap();
    let loaded = load::load(&path).expect("valid config");
    for server in [fleet.taskcluster.server(), fleet.lambdatest.server()] {
        server.inject("*", "/", Fault::delay(LATENCY_MS));
    }
    let credentials = ReadCredentials {
        lambdatest_username: Secret::new(SIM_USERNAME),
        lambdatest_access_key: Secret::new(SIM_ACCESS_KEY),
        maas_api_key: Secret::new(""),
        testflinger_tokens: None,
        gitlab_token: Secret::new(""),
        docker_host: String::new(),
    };
    let origin = Origin {
        config_path: path.display().to_string(),
        config_hash: loaded.hash.clone(),
    };
    let (snap, read) = timed_snapshot(&loaded.desired, &credentials);
    let started = Instant::now();
    let planned = plan(&loaded.desired, &snap, &origin);
    let total = read + started.elapsed();
    let requests =
        fleet.taskcluster.server().requests().len() + fleet.lambdatest.server().requests().len();
    let serial = Duration::from_millis(LATENCY_MS * requests as u64);
    println!(
        "snapshot+plan, {pools} pools x {devices} devices, {LATENCY_MS} ms per request: {requests} requests, \
         sum of latencies {:.2} s, wall {:.3} s (snapshot {:.3} s, plan {:.1} ms), {:.1}x faster than serial; \
         {} starts planned, {} pools held",
        serial.as_secs_f64(),
        total.as_secs_f64(),
        read.as_secs_f64(),
        (total - read).as_secs_f64() * 1000.0,
        serial.as_secs_f64() / total.as_secs_f64(),
        planned.action_count(),
        planned.held().len(),
    );
}

fn apply_burst(launches: usize, parallel: usize) {
    let fleet = Fleet::start().expect("fleet");
    let dir = tempfile::tempdir().unwrap();
    let exe = Path::new(env!("CARGO_BIN_EXE_devicepool"));
    let cli = fleet.write_fake_cli(dir.path(), exe).unwrap();
    let pools = 3;
    let per_pool = launches / pools;
    let settings = format!("  launch: {{parallel: {parallel}, stagger: 100ms}}\n");
    let path = dir.path().join("bench.yaml");
    std::fs::write(
        &path,
        config(&fleet, pools, per_pool, per_pool as u64, &settings, &cli),
    )
    .unwrap();
    fleet
        .lambdatest
        .server()
        .inject("POST", "/__sim/launch", Fault::delay(1000));
    let started = Instant::now();
    let output = std::process::Command::new(exe)
        .args(["apply", path.to_str().unwrap(), "--yes"])
        .env("LT_USERNAME", SIM_USERNAME)
        .env("LT_ACCESS_KEY", SIM_ACCESS_KEY)
        .env("TC_TOKEN", "bench-token")
        .output()
        .expect("apply runs");
    let wall = started.elapsed();
    let launched = fleet.lambdatest.launches().len();
    println!(
        "apply, {launches} launches of a 1 s CLI, parallel {parallel}, stagger 100 ms: wall {:.2} s, {launched} jobs registered, exit {:?} (seed system: ~360 s)",
        wall.as_secs_f64(),
        output.status.code()
    );
}
