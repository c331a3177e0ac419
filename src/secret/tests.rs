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

#[test]
fn scrubs_base64_forms_at_every_alignment_and_basic_credentials() {
    let key = Secret::new("sim-access-key-Zx81");
    let mut redactor = Redactor::default();
    redactor.add(&key);
    redactor.add_basic("lab-user", &key);
    let basic = STANDARD.encode("lab-user:sim-access-key-Zx81");
    let shown = redactor.redact(&format!("Authorization: Basic {basic}"));
    assert_eq!(shown, "Authorization: Basic <redacted>");
    for prefix in ["", "a", "ab", "abc"] {
        for engine in [&STANDARD, &base64::engine::general_purpose::URL_SAFE] {
            let encoded = engine.encode(format!("{prefix}sim-access-key-Zx81;x=1"));
            let shown = redactor.redact(&encoded);
            assert!(shown.contains(REDACTED), "{prefix:?}: {shown}");
            let decoded = shown.replace(REDACTED, "");
            assert!(decoded.len() < encoded.len() - 20, "{shown}");
        }
    }
    assert_eq!(redactor.redact("nothing here"), "nothing here");
}
