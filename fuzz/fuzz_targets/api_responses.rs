//! Fuzz target: every API response decoder in `devicepool::clients::decode`. The first byte
//! picks the decoder (modulo their count), the rest is the body, as UTF-8 text (a body that
//! is not UTF-8 fails in the HTTP layer before any decoder). Decoders must return `Err` on bad
//! input and never panic. No network, no clock: the token decoder gets a fixed `now`.

#![no_main]

use devicepool::clients::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(body) = std::str::from_utf8(rest) else {
        return;
    };
    // 0..=9 keep the meaning they had before the GitLab and Docker decoders (10..=14) came.
    // 15 (the running jobs of a project) came after them.
    match selector % 16 {
        0 => drop(decode::taskcluster_counts(body)),
        1 => drop(decode::taskcluster_worker_page(body)),
        2 => drop(decode::lambdatest_devices(body)),
        3 => drop(decode::lambdatest_jobs_page(body)),
        4 => drop(decode::maas_machines(body, &[])),
        5 => drop(decode::maas_machines(body, &["rack-a".to_string()])),
        6 => drop(decode::testflinger_agents(body)),
        7 => drop(decode::testflinger_jobs(body)),
        8 => drop(decode::testflinger_result(body)),
        9 => {
            let now: jiff::Timestamp = "2026-11-25T10:00:00Z".parse().expect("fixed instant");
            drop(decode::testflinger_token(body, now));
        }
        10 => drop(decode::gitlab_runners_page(body)),
        11 => drop(decode::gitlab_runner(body)),
        12 => drop(decode::gitlab_jobs_page(body)),
        13 => drop(decode::gitlab_last_finished_job(body)),
        14 => drop(decode::docker_containers(body)),
        _ => drop(decode::gitlab_running_page(body)),
    }
});
