//! Unit tests of `secret/mod.rs`.

use super::*;

#[test]
fn never_prints_and_scrubs_text() {
    let secret = Secret::new("hunter22");
    assert_eq!(format!("{secret} {secret:?}"), "<redacted> <redacted>");
    let mut redactor = Redactor::default();
    redactor.add(&secret);
    assert_eq!(redactor.redact("key=hunter22;"), "key=<redacted>;");
}
