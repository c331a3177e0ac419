//! Throughput benchmarks. They print figures and assert nothing about time (`cargo bench`).
//!
//! 1. snapshot + plan for 100 pools × 60 devices with 25 ms injected on every request: wall
//!    time against the sum of all request latencies (what a one-request-at-a-time client pays).
//! 2. apply of 60 launches through the real binary, with a fake `hyperexecute` that takes 1 s
//!    each (the seed system needs about 6 minutes for such a burst).
//! 3. the snapshot of one runner pool of 40 runners (three GitLab reads each) with 25 ms
//!    injected on every GitLab and Docker request.
//! 4. shared device groups at scale (issue 12): 1,000 pools in 100 groups of 600 devices
//!    (60,000 devices; the groups by model name, UDID pattern or list; every allocation
//!    strategy; scarce devices so the allocation runs). The snapshot with 25 ms injected on
//!    every request, at the default and the largest `parallel_requests`, against its critical
//!    path (the job history is read page by page, alongside everything else); then the plan's
//!    CPU time (target 100 ms), its size and the peak RSS; then the plan's page (`plan --format
//!    html`): time to write (target 1 s) and size (target 10 MB).

use std::path::Path;
use std::time::{Duration, Instant};

use devicepool::clients::ReadCredentials;
use devicepool::clients::http::Reader;
use devicepool::clients::lambdatest;
use devicepool::load;
use devicepool::plan::{Origin, Plan, plan};
use devicepool::reconcilers::device_pools::membership::resolve;
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
    shared_groups(1000, 60_000, 10);
}

/// The simulated fleet's LambdaTest credentials; no other source needs any here.
fn lambdatest_credentials() -> ReadCredentials {
    ReadCredentials {
        lambdatest_username: Secret::new(SIM_USERNAME),
        lambdatest_access_key: Secret::new(SIM_ACCESS_KEY),
        maas_api_key: Secret::new(""),
        testflinger_tokens: None,
        gitlab_token: Secret::new(""),
        docker_host: String::new(),
    }
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
    let credentials = lambdatest_credentials();
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

/// The allocation strategies, spread over the groups in turn.
const STRATEGIES: [&str; 4] = ["priority", "round-robin", "proportional", "weighted"];

/// `pools` pools over `devices` LambdaTest devices in groups of `pools_per_group` pools: each
/// group's devices are scarce (its pools want more), so the group's allocation really runs.
/// Groups take their devices four ways in turn: by model name, by a list of UDIDs, by UDID
/// pattern, by a list again; the four strategies are spread over them. One device in 50 runs
/// a job of ours, and in every fourth group every third pool's latest launches failed.
fn shared_groups(pools: usize, devices: usize, pools_per_group: usize) {
    let groups = pools / pools_per_group;
    let per_group = devices / groups;
    let fleet = Fleet::start().expect("fleet");
    let lt = &fleet.lambdatest;
    let now = jiff::Timestamp::now();
    let minutes_ago = |m: i64| now - jiff::SignedDuration::from_mins(m);
    let pool_name = |p: usize| format!("bench-{p:04}");
    let mut yaml = format!(
        "version: 1\nsettings:\n  http: {{retries: 0, parallel_requests: 256, max_body_bytes: 268435456}}\n\
         sources:\n  taskcluster: {{root_url: '{}'}}\n  lambdatest:\n    api_url: '{lt_url}'\n    \
         devices_url: '{lt_url}'\n    max_initiated: 100000\ndevice_groups:\n",
        fleet.taskcluster.url(),
        lt_url = lt.url()
    );
    let mut jobs = 0;
    for g in 0..groups {
        let udids: Vec<String> = (0..per_group).map(|d| format!("G{g:03}-D{d:03}")).collect();
        for (d, udid) in udids.iter().enumerate() {
            lt.add_device(udid, &format!("Bench Phone {g:03}"), "active");
            if d % 50 == 7 {
                let pool = pool_name(g * pools_per_group + d % pools_per_group);
                let labels = vec!["tcdp".to_string(), pool, udid.clone()];
                lt.add_job(Some(labels), "running", minutes_ago(20));
                jobs += 1;
            }
        }
        let strategy = STRATEGIES[g % STRATEGIES.len()];
        if g % 4 == 3 {
            for i in (0..pools_per_group).step_by(3) {
                let pool = pool_name(g * pools_per_group + i);
                for k in 0..1 + i % 2 {
                    let udid = &udids[per_group - 1 - (i + k) % per_group];
                    let labels = vec!["tcdp".to_string(), pool.clone(), udid.clone()];
                    lt.add_job(Some(labels), "failed", minutes_ago(30));
                    jobs += 1;
                }
            }
        }
        let membership = match g % 4 {
            0 => format!("select: {{name: 'Bench Phone {g:03}*'}}"),
            2 => format!("select: {{udid: 'G{g:03}-*'}}"),
            _ => format!("devices: [{}]", udids.join(", ")),
        };
        yaml.push_str(&format!(
            "  g{g:03}:\n    {membership}\n    allocation: {strategy}\n"
        ));
    }
    yaml.push_str("device_pools:\n");
    let mut demand = 0;
    for p in 0..pools {
        let queue = format!("proj-bench/gecko-t-bench-{p:04}");
        let pending = 30 + (p as u64 * 37) % 91;
        demand += pending;
        fleet.taskcluster.set_counts(&queue, pending, p as u64 % 7);
        yaml.push_str(&format!(
            "  {}:\n    task_queue: {queue}\n    client_id: c\n    access_token_env: TC_TOKEN\n    \
             group: g{:03}\n    max_starts_per_run: 150\n    priority: {}\n    weight: {}\n    \
             min_devices: {}\n",
            pool_name(p),
            p / pools_per_group,
            p % 4,
            1 + p % 3,
            p % 6,
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.yaml");
    std::fs::write(&path, &yaml).unwrap();
    let started = Instant::now();
    let loaded = load::load(&path).expect("valid config");
    let load_time = started.elapsed();
    println!(
        "shared groups, {pools} pools in {groups} groups of {per_group} devices ({devices} devices, \
         {jobs} jobs of ours, {demand} tasks pending): config {} KiB, loaded and validated in {:.1} ms",
        yaml.len() / 1024,
        load_time.as_secs_f64() * 1000.0
    );
    let credentials = lambdatest_credentials();
    let servers = [fleet.taskcluster.server(), lt.server()];

    // What reading costs without latency: the sim serving and the client decoding.
    let (_, bare) = timed_snapshot(&loaded.desired, &credentials);
    println!(
        "  snapshot with no injected latency (sim + client CPU): wall {:.3} s",
        bare.as_secs_f64()
    );
    let (devices_alone, jobs_alone) = lambdatest_reads_alone(&loaded.desired);
    println!(
        "  of which, each read alone with no latency: device list {:.0} ms, job history {:.0} ms \
         (the sim serves both under one lock)",
        devices_alone.as_secs_f64() * 1000.0,
        jobs_alone.as_secs_f64() * 1000.0,
    );
    for server in servers {
        server.inject("*", "/", Fault::delay(LATENCY_MS));
    }
    let mut snap = None;
    for parallel in [16, 256] {
        for server in servers {
            server.clear_requests();
        }
        let mut desired = loaded.desired.clone();
        desired.settings.http.parallel_requests = parallel;
        let (taken, wall) = timed_snapshot(&desired, &credentials);
        let lt_requests = lt.server().requests();
        let pages = lt_requests
            .iter()
            .filter(|r| r.path == "/v1.0/jobs")
            .count();
        let others = fleet.taskcluster.server().requests().len() + lt_requests.len() - pages;
        let requests = pages + others;
        let serial = Duration::from_millis(LATENCY_MS * requests as u64);
        let critical = Duration::from_millis(
            LATENCY_MS * (pages as u64).max(others.div_ceil(parallel) as u64),
        );
        println!(
            "  snapshot, {LATENCY_MS} ms per request, parallel_requests {parallel}: {requests} requests \
             ({pages} job-history pages + {others} others), sum of latencies {:.2} s, wall {:.3} s, \
             critical path {:.3} s (max({pages} pages, ceil({others}/{parallel})) x {LATENCY_MS} ms), \
             wall/critical {:.2}",
            serial.as_secs_f64(),
            wall.as_secs_f64(),
            critical.as_secs_f64(),
            wall.as_secs_f64() / critical.as_secs_f64(),
        );
        snap = Some(taken);
    }
    let snap = snap.expect("a snapshot was taken");
    if let Err(e) = &snap.lambdatest {
        panic!("LambdaTest read failed: {e:?}");
    }
    let origin = Origin {
        config_path: path.display().to_string(),
        config_hash: loaded.hash.clone(),
    };
    let mut times = Vec::new();
    let mut planned = None;
    for _ in 0..5 {
        let started = Instant::now();
        let p = plan(&loaded.desired, &snap, &origin);
        times.push(started.elapsed());
        planned = Some(p);
    }
    let planned = planned.expect("planned");
    times.sort();
    // The same fleet with the default org-wide ceiling of 40 initiated jobs: what a real run
    // plans (the figures above start a job on every free device the groups share out).
    let mut capped = loaded.desired.clone();
    if let Some(lt) = capped.sources.lambdatest.as_mut() {
        lt.max_initiated = 40;
    }
    let mut capped_times = Vec::new();
    let mut capped_plan = None;
    for _ in 0..5 {
        let started = Instant::now();
        let p = plan(&capped, &snap, &origin);
        capped_times.push(started.elapsed());
        capped_plan = Some(p);
    }
    capped_times.sort();
    let capped_plan = capped_plan.expect("planned");
    let capped_json = serde_json::to_vec(&capped_plan).expect("plan serializes");
    let listed = &snap.lambdatest.as_ref().expect("read").devices;
    let mut resolving = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let membership = resolve(&loaded.desired, listed);
        resolving.push(started.elapsed());
        drop(membership);
    }
    resolving.sort();
    let selectors = loaded
        .desired
        .device_groups
        .values()
        .filter(|g| g.select.is_some())
        .count();
    let json = serde_json::to_vec(&planned).expect("plan serializes");
    let pools_plans = &planned.device_pools;
    let groups_plans = &planned.device_groups;
    let device_lines: usize = pools_plans.iter().map(|p| p.devices.len()).sum::<usize>()
        + groups_plans.iter().map(|g| g.devices.len()).sum::<usize>();
    let device_json: usize = pools_plans
        .iter()
        .map(|p| serde_json::to_vec(&p.devices).expect("serializes").len())
        .chain(
            groups_plans
                .iter()
                .map(|g| serde_json::to_vec(&g.devices).expect("serializes").len()),
        )
        .sum();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "  plan CPU, 5 runs: min {:.1} ms, median {:.1} ms (target <= 100 ms), of which membership \
         ({selectors} selectors x {} listed devices) min {:.1} ms; {} starts planned, {} pools held, \
         plan JSON {:.1} MiB ({device_lines} device lines, {:.1} MiB); peak RSS {}",
        ms(times[0]),
        ms(times[times.len() / 2]),
        listed.len(),
        ms(resolving[0]),
        planned.action_count(),
        planned.held().len(),
        json.len() as f64 / (1024.0 * 1024.0),
        device_json as f64 / (1024.0 * 1024.0),
        peak_rss(),
    );
    println!(
        "  plan CPU with the default max_initiated 40, 5 runs: min {:.1} ms, median {:.1} ms; \
         {} starts planned, plan JSON {:.1} MiB",
        ms(capped_times[0]),
        ms(capped_times[capped_times.len() / 2]),
        capped_plan.action_count(),
        capped_json.len() as f64 / (1024.0 * 1024.0),
    );
    page_figures(&planned);
}

/// The plan's page (`plan --format html`), written 5 times: time to write and size.
fn page_figures(planned: &Plan) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let page = devicepool::report::html::plan_html(planned);
        times.push(started.elapsed());
        size = page.len();
    }
    times.sort();
    println!(
        "  page (plan --format html), 5 runs: min {:.1} ms, median {:.1} ms (target <= 1 s); \
         {:.2} MB (target <= 10 MB)",
        times[0].as_secs_f64() * 1000.0,
        times[times.len() / 2].as_secs_f64() * 1000.0,
        size as f64 / 1e6,
    );
}

/// How long LambdaTest's device list and job history take to read on their own, with no
/// injected latency: what the sim and the client spend on them.
fn lambdatest_reads_alone(desired: &load::Desired) -> (Duration, Duration) {
    use base64::Engine as _;
    let lt = desired
        .sources
        .lambdatest
        .as_ref()
        .expect("lambdatest source");
    let reader = Reader::new(&desired.settings.http, Redactor::default());
    let authorization = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{SIM_USERNAME}:{SIM_ACCESS_KEY}"))
    );
    let account = lambdatest::Account {
        api_url: &lt.api_url,
        devices_url: &lt.devices_url,
        authorization: &authorization,
        page_size: lt.page_size,
        max_pages: lt.max_pages,
    };
    let started = Instant::now();
    lambdatest::fetch_devices(&reader, &account).expect("devices");
    let devices = started.elapsed();
    let since = jiff::Timestamp::now() - jiff::SignedDuration::try_from(lt.job_window).unwrap();
    let started = Instant::now();
    lambdatest::fetch_jobs(&reader, &account, since).expect("jobs");
    (devices, started.elapsed())
}

/// The process's peak resident set (`VmHWM`), when Linux says it.
fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_string()))
        })
        .unwrap_or_else(|| "unknown".into())
}
