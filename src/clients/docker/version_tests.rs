//! Unit tests of `clients/docker/version.rs`.

use super::*;

#[test]
fn speaks_the_older_of_ours_and_the_daemons_and_refuses_a_daemon_too_old() {
    let v = |raw| ApiVersion::parse(raw).unwrap();
    assert_eq!(choose_version(v("1.56")), Ok(NEWEST_API));
    assert_eq!(choose_version(v("1.47")), Ok(v("1.47")));
    assert_eq!(choose_version(OLDEST_API), Ok(OLDEST_API));
    assert_eq!(
        choose_version(v("1.41")),
        Ok(v("1.41")),
        "Podman 4/5, Docker 20.10"
    );
    let refused = choose_version(v("1.40")).unwrap_err();
    assert!(
        refused.contains("1.40") && refused.contains("1.41"),
        "{refused}"
    );
    assert!(v("1.100") > v("1.52"), "compared as numbers, not text");
    for bad in [
        "", "1", "v1.52", "1.52.1", "one.two", "+1.+52", "1.-5", "1.",
    ] {
        assert_eq!(ApiVersion::parse(bad), None, "{bad}");
    }
}
