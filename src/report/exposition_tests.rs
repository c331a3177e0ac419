//! Unit tests of `report/exposition.rs`.

use super::*;

#[test]
fn well_formed_samples_are_read_whole() {
    let sample =
        parse_sample(r#"devicepool_pool_held_runs{partition="all",pool="a\"5\\5\n"} 3"#).unwrap();
    assert_eq!(sample.name, "devicepool_pool_held_runs");
    assert_eq!(sample.labels, r#"{partition="all",pool="a\"5\\5\n"}"#);
    assert_eq!(sample.value, 3.0);
    let pairs = [
        ("partition", "all".to_string()),
        ("pool", "a\"5\\5\n".to_string()),
    ];
    assert_eq!(sample.pairs, pairs, "values unescaped");
    let bare = parse_sample("devicepool_last_success_timestamp_seconds 1.7e9 1700000000").unwrap();
    assert_eq!((bare.labels, bare.value), ("", 1.7e9));
    assert!(parse_sample("x{} +Inf").is_some());
    assert!(parse_sample(r#"x{a="1",} 2"#).is_some());
}

#[test]
fn a_damaged_line_is_no_sample() {
    for bad in [
        "",
        " x 1",
        "1x 1",
        "x",
        "x 1 2 3",
        "x one",
        "x  1",
        r#"x{a="1" 2"#,
        r#"x{a=1} 2"#,
        r#"x{a="1"b="2"} 2"#,
        r#"x{a="\q"} 2"#,
        r#"x{="1"} 2"#,
        "x{a=\"1\"} 2 soon",
        "x\u{1b}[2J 1",
    ] {
        assert_eq!(parse_sample(bad), None, "{bad:?}");
    }
}
