//! One sample line of the Prometheus text format, checked whole: `name{labels} value
//! [timestamp]`. Lets the metrics file carry a figure forward only from a well-formed line,
//! so one damaged line never makes node_exporter reject the next file. Parses; writes nothing.

/// A well-formed sample: its metric name, its label set as written (`{…}`, or empty), the
/// same as (name, unescaped value) pairs in their order, and its value.
#[derive(Debug, PartialEq)]
pub(super) struct Sample<'a> {
    pub name: &'a str,
    pub labels: &'a str,
    pub pairs: Vec<(&'a str, String)>,
    pub value: f64,
}

/// `line` as a sample, or `None` when it is not exactly one well-formed sample line.
pub(super) fn parse_sample(line: &str) -> Option<Sample<'_>> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let rest = &line[name_end..];
    let (labels_len, pairs) = if rest.starts_with('{') {
        read_label_set(rest)?
    } else {
        (0, Vec::new())
    };
    let (labels, rest) = rest.split_at(labels_len);
    let mut fields = rest.strip_prefix(' ')?.split(' ');
    let value = parse_value(fields.next()?)?;
    if let Some(timestamp) = fields.next() {
        timestamp.parse::<i64>().ok()?;
    }
    if fields.next().is_some() {
        return None;
    }
    Some(Sample {
        name,
        labels,
        pairs,
        value,
    })
}

/// A sample value as the format writes it (Go's float syntax, `NaN` and `±Inf` included).
fn parse_value(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ if text
            .chars()
            .all(|c| c.is_ascii_digit() || "+-.eE".contains(c)) =>
        {
            text.parse().ok()
        }
        _ => None,
    }
}

/// The length of the label set `{name="value",…}` that `text` opens with and its pairs
/// (values unescaped), when it is well formed (values escape only `\\`, `\"` and `\n`).
fn read_label_set(text: &str) -> Option<(usize, Vec<(&str, String)>)> {
    let bytes = text.as_bytes();
    let mut pairs = Vec::new();
    let mut at = 1;
    loop {
        if bytes.get(at) == Some(&b'}') {
            return Some((at + 1, pairs));
        }
        let start = at;
        while bytes
            .get(at)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            at += 1;
        }
        if at == start || bytes[start].is_ascii_digit() {
            return None;
        }
        let name = &text[start..at];
        if bytes.get(at..at + 2) != Some(b"=\"") {
            return None;
        }
        at += 2;
        let mut value = Vec::new();
        loop {
            match bytes.get(at)? {
                b'"' => break,
                b'\\' => {
                    value.push(match bytes.get(at + 1)? {
                        b'\\' => b'\\',
                        b'"' => b'"',
                        b'n' => b'\n',
                        _ => return None,
                    });
                    at += 2;
                }
                b'\n' => return None,
                b => {
                    value.push(*b);
                    at += 1;
                }
            }
        }
        pairs.push((name, String::from_utf8(value).ok()?));
        at += 1;
        match bytes.get(at)? {
            b',' => at += 1,
            b'}' => {}
            _ => return None,
        }
    }
}

#[cfg(test)]
#[path = "exposition_tests.rs"]
mod tests;
