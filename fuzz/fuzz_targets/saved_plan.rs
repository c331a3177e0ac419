//! Fuzz target: the saved-plan reader (`apply --plan`). Feeds arbitrary bytes, as UTF-8 text,
//! to `devicepool::ops::parse_saved_plan`, which must reject what is not a plan of its format
//! with an error and never panic. It must not touch the file system or read the clock.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = devicepool::ops::parse_saved_plan(text);
    }
});
