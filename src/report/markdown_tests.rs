//! Unit tests of `report/markdown.rs`.

use super::cell;

#[test]
fn a_cell_cannot_break_the_table_or_pass_for_html() {
    assert_eq!(
        cell("a|b <redacted> *x* `y`\nz & [l](u)"),
        r"a\|b &lt;redacted&gt; \*x\* \`y\` z &amp; \[l\](u)"
    );
}
