//! Unit tests of `load/partition.rs`.

use super::{Partition, matches};

#[test]
fn globs_match_whole_names() {
    for (glob, name) in [
        ("a55", "a55"),
        ("a*", "a55"),
        ("*", ""),
        ("*5", "a55"),
        ("a?5", "a55"),
        ("*-perf-*", "lt-perf-a55"),
        ("a**5", "a5"),
        ("*a*b", "xaxab"),
        // What device selectors write.
        ("R5CX*", "R5CX123"),
        ("R5CX*", "R5CX"),
        ("A55-0?", "A55-01"),
        ("*Galaxy*5G", "Samsung Galaxy A55 5G"),
        ("17.*", "17.4.1"),
        ("a*b*c", "aXbYbZc"),
    ] {
        assert!(matches(glob, name), "{glob} should match {name}");
    }
    for (glob, name) in [
        ("a5", "a55"),
        ("?", ""),
        ("a?", "a55"),
        ("*b", "ba"),
        ("[a]55", "a55"),
        ("a55*x", "a55"),
        ("R5CX*", "R5C"),
        ("A55-0?", "A55-011"),
        ("*Galaxy*5G", "Samsung Galaxy A55 5G Pro"),
        ("a", ""),
    ] {
        assert!(!matches(glob, name), "{glob} should not match {name}");
    }
}

#[test]
fn the_label_names_the_globs() {
    assert_eq!(Partition::default().label(), "all");
    let partition = Partition {
        include: vec!["a*".into(), "p9".into()],
        exclude: vec!["a5?".into()],
    };
    assert_eq!(partition.label(), "a*,p9,!a5?");
}

#[test]
fn globs_match_characters_not_bytes() {
    assert!(matches("Galaxy ?", "Galaxy Ä"));
    assert!(matches("*ä*", "Bär 5G"));
    assert!(!matches("B?r", "Bäär"));
    assert!(matches("B*r", "Bäär"));
}
