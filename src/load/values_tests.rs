//! Unit tests of `load/values.rs`.

use super::{check_template_name, check_url};

#[test]
fn only_http_urls_with_a_host_pass() {
    for good in ["https://tc.example", "http://127.0.0.1:8080/MAAS/"] {
        assert_eq!(check_url(good), Ok(()), "{good}");
    }
    for bad in [
        "file:///etc/passwd",
        "https://",
        "tc.example",
        "ht tp://x",
        "",
    ] {
        assert!(check_url(bad).is_err(), "{bad}");
    }
}

#[test]
fn template_names_stay_relative_and_plain() {
    for good in ["hyperexecute.yaml.j2", "lab/a55.yaml.j2"] {
        assert_eq!(check_template_name(good), Ok(()), "{good}");
    }
    for bad in [
        "/etc/passwd",
        "../secret.env",
        "lab/../../x",
        ".hidden",
        "a\\b",
        "",
    ] {
        assert!(check_template_name(bad).is_err(), "{bad}");
    }
}
