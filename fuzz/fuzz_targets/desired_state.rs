//! Fuzz target: the desired-state loader. Feeds arbitrary bytes, as UTF-8 text, to
//! `devicepool::load::parse`, which must reject bad input with a `ConfigError` and never
//! panic, hang or overflow the stack. Input that is not UTF-8 is skipped (the CLI reads the
//! file as UTF-8 and fails before the loader). It must not touch the file system.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = devicepool::load::parse(Path::new("fuzz.yaml"), text);
    }
});
