use super::*;

#[test]
fn every_character_that_could_open_markup_or_close_an_attribute_is_escaped() {
    let hostile = r#"<script>alert("x")</script> & 'it'"#;
    assert_eq!(
        escape_html(hostile),
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;it&#39;"
    );
    assert!(matches!(escape_html("A55-01 ok"), Cow::Borrowed(_)));
}
