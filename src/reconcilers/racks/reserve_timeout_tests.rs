//! Unit tests of `reconcilers/racks/reserve_timeout.rs`.

use super::*;
use serde_json::json;

#[test]
fn reserve_timeouts_read_as_the_server_reads_them() {
    assert_eq!(reserve_seconds(&json!(21600)), Some(21_600));
    assert_eq!(reserve_seconds(&json!("21601")), Some(21_601));
    assert_eq!(reserve_seconds(&json!("8h")), Some(28_800));
    assert_eq!(reserve_seconds(&json!("1d")), Some(86_400));
    assert_eq!(reserve_seconds(&json!("soon")), None);
    assert_eq!(reserve_seconds(&json!(-5)), None);
}
