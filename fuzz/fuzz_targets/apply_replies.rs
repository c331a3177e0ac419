//! Fuzz target: what apply reads back — the replies of the calls that change the fleet and
//! the `hyperexecute` CLI's output — through `devicepool::clients::reply_decode`. The first byte picks
//! the decoder (modulo their count), the rest is the body as UTF-8 text. Each must return
//! `Err` (or `None`) on bad input and never panic. No network, no process.

#![no_main]

use devicepool::clients::reply_decode as decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(body) = std::str::from_utf8(rest) else {
        return;
    };
    match selector % 4 {
        0 => drop(decode::gitlab_created_runner(body)),
        1 => drop(decode::docker_created_container(body)),
        2 => drop(decode::testflinger_submitted_job(body)),
        _ => drop(decode::hyperexecute_job_id(body)),
    }
});
