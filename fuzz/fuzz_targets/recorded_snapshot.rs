//! Fuzz target: the recorded-snapshot reader (`plan --from-snapshot`). Feeds arbitrary bytes,
//! as UTF-8 text, to `Recording::parse`; what parses is turned into a snapshot for the demo's
//! desired state, planned and printed as text, none of which may panic. Seed corpus:
//! `plans/snapshots/*.json`. It must not touch the file system or read the clock.

#![no_main]

use std::path::Path;
use std::sync::LazyLock;

use devicepool::snapshot::recording::Recording;
use libfuzzer_sys::fuzz_target;

/// The desired state the seed snapshot was recorded for, parsed once from the binary.
static DESIRED: LazyLock<devicepool::load::Loaded> = LazyLock::new(|| {
    let text = include_str!("../../plans/snapshots/demo.yaml");
    devicepool::load::parse(Path::new("demo.yaml"), text).expect("the demo desired state parses")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(recording) = Recording::parse(text, Path::new("fuzz.json")) else {
        return;
    };
    let desired = &DESIRED.desired;
    let snapshot = recording.into_snapshot(desired);
    let origin = devicepool::plan::Origin {
        config_path: "demo.yaml".into(),
        config_hash: DESIRED.hash.clone(),
    };
    let plan = devicepool::plan::plan(desired, &snapshot, &origin);
    let _ = devicepool::report::plan_text(&plan);
});
