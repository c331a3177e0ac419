//! Compares what a documented command printed with the output the page shows, through the
//! placeholders of docs/development.md ("Checked examples"). It only compares text.

/// `...` alone on a line: any number of lines, none included.
const ANY_LINES: &str = "...";
/// `<…>` inside a line: any text on that line, none included.
const ANY_TEXT: &str = "<…>";
/// What an RFC 3339 timestamp reads as, on both sides.
const TIME: &str = "<time>";

/// `text` with every RFC 3339 timestamp (`2026-12-01T08:30:00Z`, with fractions or an
/// offset) that `command` does not give written `<time>`, and paths under `dir` (the scratch
/// directory the example runs in) relative to it.
pub(super) fn normalise(text: &str, dir: &str, command: &str) -> String {
    let text = text.replace(&format!("{dir}/"), "").replace(dir, ".");
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut at = 0;
    while at < text.len() {
        match timestamp_len(&bytes[at..]) {
            Some(len) => {
                let stamp = &text[at..at + len];
                out.push_str(if command.contains(stamp) { stamp } else { TIME });
                at += len;
            }
            None => {
                let c = text[at..].chars().next().expect("in bounds");
                out.push(c);
                at += c.len_utf8();
            }
        }
    }
    out
}

/// The length of the RFC 3339 timestamp `bytes` start with.
fn timestamp_len(bytes: &[u8]) -> Option<usize> {
    let shape = b"dddd-dd-ddTdd:dd:dd";
    if bytes.len() < shape.len() {
        return None;
    }
    for (&b, &s) in bytes.iter().zip(shape) {
        let fits = if s == b'd' {
            b.is_ascii_digit()
        } else {
            b == s
        };
        if !fits {
            return None;
        }
    }
    let mut len = shape.len();
    if bytes.get(len) == Some(&b'.') {
        len += 1;
        while bytes.get(len).is_some_and(u8::is_ascii_digit) {
            len += 1;
        }
    }
    match bytes.get(len) {
        Some(b'Z') => Some(len + 1),
        Some(b'+' | b'-') if bytes.len() >= len + 6 => Some(len + 6),
        _ => Some(len),
    }
}

/// Whether `actual` lines are what the `expected` lines (with placeholders) allow; trailing
/// spaces and trailing blank lines are ignored on both sides.
pub(super) fn matches(expected: &[String], actual: &[String]) -> bool {
    let trim = |lines: &[String]| {
        let mut lines: Vec<String> = lines.iter().map(|l| l.trim_end().to_string()).collect();
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    };
    lines_match(&trim(expected), &trim(actual))
}

fn lines_match(expected: &[String], actual: &[String]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == ANY_LINES => {
            (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, others)| line_matches(first, line) && lines_match(rest, others)),
    }
}

/// Whether `line` is what `pattern` allows, `<…>` standing for any text.
fn line_matches(pattern: &str, line: &str) -> bool {
    let parts: Vec<&str> = pattern.split(ANY_TEXT).collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return pattern == line;
    };
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[test]
fn the_placeholders_match_what_they_say_and_nothing_else() {
    let lines = |text: &str| text.lines().map(String::from).collect::<Vec<_>>();
    let expected = normalise(
        "Plan for a.yaml (read at 2026-12-01T08:30:00Z)\n...\n  + start <…>-1 (tags <…>)\n...",
        "/tmp/x",
        "",
    );
    let expected = lines(&expected);
    let actual = normalise(
        "Plan for /tmp/x/a.yaml (read at 2026-12-07T03:54:32.975849028Z)\n\nrunner pool ci\n  + start devicepool-ci-1796615672-1 (tags ci,docker)\n",
        "/tmp/x",
        "",
    );
    assert_eq!(
        normalise("at 2026-12-01T08:30:00+01:00.", "/nowhere", ""),
        "at <time>."
    );
    let now = "DEVICEPOOL_NOW=2026-12-01T08:30:00Z devicepool plan";
    let preview = normalise(
        "at 2026-12-01T08:30:00Z, read 2026-12-07T03:54:32Z",
        "/x",
        now,
    );
    assert_eq!(
        preview, "at 2026-12-01T08:30:00Z, read <time>",
        "the command's own time kept"
    );
    assert!(matches(&expected, &lines(&actual)), "{actual}");
    assert!(!matches(&lines("a\nb"), &lines("a\nc")));
    assert!(
        !matches(&lines("a"), &lines("a\nb")),
        "no `...`: no extra line"
    );
    assert!(matches(&lines("a\n...\nd"), &lines("a\nd")));
    assert!(!line_matches("x<…>x", "x"), "the two ends do not overlap");
    assert!(line_matches("<…>", ""));
}
