//! Fuzz target: rendering hostile templates. Feeds arbitrary bytes, as UTF-8 text, as a
//! template to `devicepool::render::render_untrusted`, which renders it with a fixed context
//! under the job files' fuel and output cap. It must give `Ok` or `Err`, never panic, hang or
//! run out of memory. It reads no template directory.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(source) = std::str::from_utf8(data) {
        let _ = devicepool::render::render_untrusted(source);
    }
});
