//! Unit tests of `testflinger_job.rs`.

use super::*;

#[test]
fn reads_durations_like_the_server() {
    let s = |v: Value| seconds(&v);
    assert_eq!(s(json!(120)), Some(120));
    assert_eq!(s(json!("2h")), Some(7200));
    assert_eq!(s(json!("1h30m")), Some(5400));
    assert_eq!(s(json!("90")), Some(90));
    assert_eq!(s(json!("h")), None);
    assert_eq!(s(json!("")), None);
    assert_eq!(s(json!("2x")), None);
}
