//! Schedule benchmark (issue 17): `devicepool validate` of files with many schedule periods,
//! through the built binary, printing wall time, the child's CPU time (user + system; the wall
//! time also counts waiting for a busy machine) and its peak RSS. Asserts nothing
//! about time (`cargo bench --bench schedules`); it only needs the binary, no fleet.
//!
//! 1. 1,000 periods spread over 10 device pools of 100 (the most a pool may hold): valid.
//! 2. 1,000 and 4,000 periods in one pool: refused by the cap, before any period is checked.

use std::path::Path;
use std::time::{Duration, Instant};

/// Runs of each case; the median wall and CPU times and the largest peak RSS are printed.
const RUNS: usize = 5;

fn main() {
    let dir = tempfile::tempdir().unwrap();
    for (pools, per_pool) in [(10, 100), (1, 1000), (1, 4000)] {
        let path = dir.path().join(format!("schedule-{pools}x{per_pool}.yaml"));
        std::fs::write(&path, compose_desired_state(pools, per_pool)).unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        let runs: Vec<Run> = (0..RUNS).map(|_| validate(&path)).collect();
        let median = |time: fn(&Run) -> Duration| {
            let mut times: Vec<Duration> = runs.iter().map(time).collect();
            times.sort();
            times[RUNS / 2].as_secs_f64() * 1000.0
        };
        let peak_kib = runs.iter().map(|run| run.peak_kib).max().unwrap_or(0);
        println!(
            "validate, {} schedule periods ({pools} pool(s) x {per_pool}, {} KB file): \
             median wall {:.1} ms, median CPU {:.1} ms, peak RSS {:.1} MB, exit {}",
            pools * per_pool,
            size / 1000,
            median(|run| run.wall),
            median(|run| run.cpu),
            peak_kib as f64 / 1024.0,
            runs[0].exit,
        );
    }
}

/// A desired state of `pools` device pools with `per_pool` schedule periods each.
fn compose_desired_state(pools: usize, per_pool: usize) -> String {
    let mut yaml = String::from(
        "version: 1\nsources:\n  taskcluster: {root_url: 'http://127.0.0.1:9'}\n  lambdatest:\n    \
         api_url: 'http://127.0.0.1:9'\n    devices_url: 'http://127.0.0.1:9'\ndevice_pools:\n",
    );
    let zones = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"];
    for p in 0..pools {
        yaml.push_str(&format!(
            "  pool-{p}:\n    task_queue: proj-bench/pool-{p}\n    client_id: project/bench/{p}\n    \
             access_token_env: TC_TOKEN\n    devices: [BENCH-{p}]\n    schedule:\n"
        ));
        for i in 0..per_pool {
            yaml.push_str(&format!(
                "      - cron: '{} {}-{} * * 1-5'\n        timezone: {}\n        \
                 set: {{max_starts_per_run: {}, disabled: {}}}\n",
                i % 60,
                i % 12,
                12 + i % 12,
                zones[i % zones.len()],
                i % 50,
                i % 7 == 0,
            ));
        }
    }
    yaml
}

/// What one `devicepool validate` took.
struct Run {
    wall: Duration,
    /// User plus system CPU time of the child.
    cpu: Duration,
    peak_kib: i64,
    exit: i32,
}

/// Runs `devicepool validate path` and reads its own resource use.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also gives its own peak RSS"
)]
fn validate(path: &Path) -> Run {
    let started = Instant::now();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_devicepool"))
        .args(["validate", path.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("devicepool starts");
    let pid = i32::try_from(child.id()).expect("a pid");
    let mut status = 0;
    // SAFETY: `rusage` is plain data that wait4 fills; the child is ours and not yet reaped.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, writing only into the two locals.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4");
    let seconds = |time: libc::timeval| {
        Duration::from_secs(time.tv_sec.unsigned_abs())
            + Duration::from_micros(time.tv_usec.unsigned_abs())
    };
    Run {
        wall: started.elapsed(),
        cpu: seconds(usage.ru_utime) + seconds(usage.ru_stime),
        peak_kib: usage.ru_maxrss,
        exit: libc::WEXITSTATUS(status),
    }
}
