//! Fuzz target: schedules. The first 8 bytes pick the moment; the rest, as UTF-8 text, is a
//! period's cron, time zone and `set:` (one line each), written into a device pool and a runner
//! pool of an otherwise valid desired state. `devicepool::load::parse` must accept it or refuse
//! it with a `ConfigError`, and settling an accepted file at that moment must give a result;
//! never a panic, a hang or runaway memory. It must not touch the file system.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

/// Seconds from -9999-01-01 to 9999-12-31, about jiff's range of timestamps.
const SPAN: i64 = 2 * 253_402_207_200;

fuzz_target!(|data: &[u8]| {
    let Some((moment, text)) = data.split_first_chunk::<8>() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        return;
    };
    let mut lines = text.splitn(3, '\n');
    let cron = lines.next().unwrap_or_default();
    let zone = lines.next().unwrap_or_default();
    let set = lines.next().unwrap_or("{}").replace(['\n', '\r'], " ");
    let Ok(mut loaded) = devicepool::load::parse(
        Path::new("fuzz.yaml"),
        &compose_desired_state(cron, zone, &set),
    ) else {
        return;
    };
    let second = i64::from_le_bytes(*moment).rem_euclid(SPAN) - SPAN / 2;
    let at = jiff::Timestamp::from_second(second).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    devicepool::reconcilers::settle_every_kind(&mut loaded.desired, at);
});

/// A desired state whose two pools have the one period; `cron` and `zone` are quoted as JSON
/// strings (valid YAML), `set` is written as it comes.
fn compose_desired_state(cron: &str, zone: &str, set: &str) -> String {
    let period = format!(
        "    schedule:\n      - cron: {}\n        timezone: {}\n        set: {set}\n",
        quote(cron),
        quote(zone)
    );
    format!(
        "version: 1\nsources:\n  taskcluster: {{root_url: 'http://127.0.0.1:9'}}\n  lambdatest:\n    \
         api_url: 'http://127.0.0.1:9'\n    devices_url: 'http://127.0.0.1:9'\n  gitlab: {{url: \
         'http://127.0.0.1:9', token_env: GL_TOKEN}}\ndevice_pools:\n  a55:\n    task_queue: \
         proj-fuzz/a55\n    client_id: project/fuzz/a55\n    access_token_env: TC_TOKEN\n    \
         devices: [FUZZ-1]\n{period}runner_pools:\n  ci:\n    tags: [ci]\n    projects: \
         [group/app]\n{period}"
    )
}

/// `text` as a double-quoted string with JSON escapes, which YAML reads back the same.
fn quote(text: &str) -> String {
    let mut quoted = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04x}", c as u32)),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}
