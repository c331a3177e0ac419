//! Unit tests of `load/tree.rs`.

use super::*;

#[test]
fn maps_pointers_to_lines_and_columns() {
    let doc = LocatedDocument::parse("a:\n  b: [1, 2]\n  c/d: x\n").unwrap();
    assert_eq!(doc.value["a"]["b"][1], 2);
    assert_eq!(
        doc.position("/a/b/1"),
        Position {
            line: 2,
            column: 10
        }
    );
    assert_eq!(
        doc.key_position("/a", "c/d"),
        Position { line: 3, column: 3 }
    );
    assert_eq!(
        doc.position("/a/missing/deep"),
        Position { line: 2, column: 3 }
    );
}

#[test]
fn rejects_duplicate_keys_with_a_location() {
    let err = LocatedDocument::parse("a: 1\nb: 2\na: 3\n").unwrap_err();
    let location = err.location().expect("location");
    assert_eq!(location.line(), 3);
}

#[test]
fn keeps_no_as_a_string() {
    let doc = LocatedDocument::parse("x: no\n").unwrap();
    assert_eq!(doc.value["x"], "no");
}

#[test]
fn null_keys_are_found_where_they_sit_and_quoted_ones_are_names() {
    let doc =
        LocatedDocument::parse("p:\n  ~: 1\n  x:\n    null: 2\n    : 3\n  'null': 4\n  '': 5\n")
            .unwrap();
    let at = |line, column| Position { line, column };
    assert_eq!(
        doc.null_keys(),
        [
            ("/p".to_string(), at(2, 3)),
            ("/p/x".to_string(), at(4, 5)),
            ("/p/x".to_string(), at(5, 5)),
        ]
    );
    assert_eq!(doc.value["p"]["null"], 4);
    assert_eq!(doc.value["p"][""], 5);
}
