//! Unit tests of `clients/pushgateway.rs`.

use super::Group;

#[test]
fn plain_values_stay_readable_and_others_go_in_base64() {
    let group = Group {
        url: "http://gw:9091/",
        fleet: "lab-1",
        partition: "all",
    };
    assert_eq!(
        group.push_url(),
        "http://gw:9091/metrics/job/devicepool/fleet/lab-1/partition/all"
    );
    // `lt-*,!a/b` in URL-safe base64 (the gateway's documented `@base64` form).
    let globbed = Group {
        partition: "lt-*,!a/b",
        ..group
    };
    assert_eq!(
        globbed.push_url(),
        "http://gw:9091/metrics/job/devicepool/fleet/lab-1/partition@base64/bHQtKiwhYS9i"
    );
}
