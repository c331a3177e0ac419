//! Unit tests of `load/duration.rs`.

use super::parse;
use std::time::Duration;

#[test]
fn reads_the_friendly_forms_and_days_and_says_plainly_what_is_not_one() {
    let secs = |t: &str| parse(t).map(|d| d.as_secs_f64());
    assert_eq!(secs("250ms"), Ok(0.25));
    assert_eq!(secs("1h 30m"), Ok(5400.0));
    assert_eq!(parse("7d"), Ok(Duration::from_secs(7 * 86_400)));
    for bad in ["6x", "", "-5m", "1 month", "14"] {
        let e = parse(bad).expect_err(bad);
        assert!(e.starts_with(&format!("{bad:?} is not a duration")), "{e}");
        assert!(!e.contains("jiff") && !e.contains("Span"), "{e}");
    }
}
