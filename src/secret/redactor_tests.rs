//! Unit tests of `secret/redactor.rs`.

use super::*;

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

/// A MAAS token secret with the characters OAuth must encode, as the `Authorization` header
/// carries it: the PLAINTEXT signature `&<secret>` encoded once more (`%26…%252B…`).
#[test]
fn scrubs_percent_encoded_forms_once_and_twice_in_either_case() {
    let secret = "Ab+c/d=e%f&g~h_SECRET";
    let mut redactor = Redactor::default();
    redactor.add(&Secret::new(secret));
    let once = percent_encode(secret, false);
    assert_eq!(once, "Ab%2Bc%2Fd%3De%25f%26g~h_SECRET");
    let header = format!("oauth_signature=\"%26{}\"", percent_encode(&once, false));
    assert_eq!(
        redactor.redact(&header),
        "oauth_signature=\"%26<redacted>\""
    );
    for lower in [false, true] {
        let once = percent_encode(secret, lower);
        for form in [once.clone(), percent_encode(&once, lower)] {
            assert_eq!(
                redactor.redact(&format!("x{form}y")),
                "x<redacted>y",
                "{form}"
            );
        }
    }
    let json = serde_json::to_string(&serde_json::json!({"s": secret})).unwrap();
    assert_eq!(redactor.redact(&json), r#"{"s":"<redacted>"}"#);
    let php = json.replace('/', "\\/");
    assert_eq!(redactor.redact(&php), r#"{"s":"<redacted>"}"#);
}

#[test]
fn overlapping_occurrences_are_covered_whole() {
    let mut redactor = Redactor::default();
    redactor.add(&Secret::new("abcdef"));
    redactor.add(&Secret::new("defghi"));
    assert_eq!(redactor.redact("xabcdefghiy"), "x<redacted>y");
    assert_eq!(redactor.redact("abcdef abcdef"), "<redacted> <redacted>");
    assert_eq!(redactor.redact("abcdefdefghi!"), "<redacted>!");
    assert_eq!(redactor.redact("ab"), "ab");
    assert_eq!(redactor.redact("é abcdef ü"), "é <redacted> ü");
}

/// The cut falls everywhere across the secret: no prefix of it is ever left.
#[test]
fn an_excerpt_is_redacted_before_it_is_cut() {
    let secret = "glpat-Sx81Kq0Zmw9TtYv3Bn2R";
    let mut redactor = Redactor::default();
    redactor.add(&Secret::new(secret));
    let cut = Cut {
        chars: 200,
        fold_whitespace: true,
    };
    for pad in 150..=260 {
        let body = format!("{}\n  {secret} tail", ".".repeat(pad));
        let shown = redactor.excerpt(&body, cut);
        assert!(shown.chars().count() <= 201, "{pad}: {shown}");
        for len in 5..=secret.len() {
            assert!(!shown.contains(&secret[..len]), "{pad}: {shown}");
        }
        if pad < 180 {
            assert!(shown.ends_with("<redacted> tail"), "{pad}: {shown}");
        }
    }
    let lines = Cut {
        chars: 12,
        fold_whitespace: false,
    };
    assert_eq!(redactor.excerpt("  a\n b\n", lines), "a\n b");
    assert_eq!(
        redactor.excerpt(&format!("{secret}\nmore text"), lines),
        "<redacted>\nm…"
    );
}

#[test]
fn debug_shows_no_value() {
    let mut redactor = Redactor::default();
    redactor.add(&Secret::new("hunter22"));
    let shown = format!("{redactor:?}");
    assert!(!shown.contains("hunt"), "{shown}");
}

#[test]
fn a_secret_learned_by_one_clone_is_redacted_by_every_clone() {
    let mut original = Redactor::default();
    original.add(&Secret::new("configured-secret".to_string()));
    let clone = original.clone();
    clone.learn(&Secret::new("issued-token-4f8a".to_string()));
    let text = "a configured-secret and an issued-token-4f8a";
    assert_eq!(original.redact(text), "a <redacted> and an <redacted>");
    assert_eq!(clone.redact(text), "a <redacted> and an <redacted>");
}
