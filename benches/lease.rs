//! The cost of the distributed run lock per run (issue 18): requests and milliseconds to
//! take and give back the etcd lease over loopback, against a real `etcd` started here
//! (target: at most 3 requests and 20 ms). Prints figures; asserts nothing about time.
//! Skipped with a message when `etcd` is not on PATH.

use std::time::{Duration, Instant};

use devicepool::lock::lease::Lease;
use devicepool::ops::lock_engine as engine;
use devicepool_sim::etcd_process::{EtcdProcess, etcd_installed};

const RUNS: usize = 50;

fn main() {
    if !etcd_installed() {
        println!("lease: SKIPPED, etcd is not on PATH");
        return;
    }
    let etcd = EtcdProcess::start().expect("etcd starts");
    let url = etcd.url();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("lease.yaml");
    std::fs::write(
        &config,
        format!(
            "version: 1\nsettings:\n  lock: {{etcd: {{endpoints: [{url}], ttl: 30s}}}}\nsources:\n  testflinger: {{url: http://127.0.0.1:9}}\n"
        ),
    )
    .expect("config written");
    let loaded = devicepool::load::load(&config).expect("config loads");
    let env = |name: &str| std::env::var(name).ok();
    let mut millis = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..RUNS {
        let (backend, ttl) = engine::open(&loaded, &env)
            .expect("engine opens")
            .expect("settings.lock is set");
        let started = Instant::now();
        let lease = Lease::take(backend, ttl, Duration::ZERO).expect("lease taken");
        let counter = lease.fence();
        lease.release(true);
        millis.push(started.elapsed().as_secs_f64() * 1000.0);
        requests.push(counter.requests_sent());
    }
    millis.sort_by(f64::total_cmp);
    println!(
        "lease (etcd on loopback, {RUNS} runs): take + release = {} requests; {:.1} ms min, {:.1} ms median, {:.1} ms max (target <= 3 requests, <= 20 ms)",
        requests.iter().max().copied().unwrap_or_default(),
        millis[0],
        millis[RUNS / 2],
        millis[RUNS - 1]
    );
}
