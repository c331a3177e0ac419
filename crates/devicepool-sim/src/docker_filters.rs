//! The `filters` query of the fake Docker daemon's container listing, parsed like moby's
//! `filters.FromJSON` (map form `{"label":{"k=v":true}}` and legacy list form
//! `{"label":["k=v"]}`) and applied with its semantics: `label` values ANDed, other keys' values
//! ORed, `name` a regexp searched in `/name`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::docker::SimContainer;

const KEYS: [&str; 16] = [
    "ancestor",
    "before",
    "expose",
    "exited",
    "health",
    "id",
    "isolation",
    "is-task",
    "label",
    "name",
    "network",
    "publish",
    "since",
    "status",
    "volume",
    "label!",
];
const STATUSES: [&str; 7] = [
    "created",
    "restarting",
    "running",
    "removing",
    "paused",
    "exited",
    "dead",
];

/// Parsed filters: key → values.
#[derive(Debug, Default)]
pub(super) struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    /// Parses the JSON `filters` value; the error is dockerd's message.
    pub(super) fn parse(raw: &str) -> Result<Filters, String> {
        if raw.is_empty() {
            return Ok(Filters::default());
        }
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(raw) else {
            return Err(format!("invalid filter: invalid JSON: {raw}"));
        };
        let mut out = BTreeMap::new();
        for (key, values) in map {
            if !KEYS.contains(&key.as_str()) {
                return Err(format!("invalid filter '{key}'"));
            }
            let values: Vec<String> = match values {
                Value::Object(m) => m
                    .into_iter()
                    .filter(|(_, on)| on == &Value::Bool(true))
                    .map(|(v, _)| v)
                    .collect(),
                Value::Array(items) => items
                    .iter()
                    .filter_map(|i| i.as_str().map(String::from))
                    .collect(),
                _ => return Err(format!("invalid filter '{key}'")),
            };
            let bad = match key.as_str() {
                "status" => values.iter().find(|v| !STATUSES.contains(&v.as_str())),
                "name" => values.iter().find(|v| compile(v).is_none()),
                _ => None,
            };
            if let Some(bad) = bad {
                return Err(format!("invalid filter '{key}={bad}'"));
            }
            out.insert(key, values);
        }
        Ok(Filters(out))
    }

    pub(super) fn has(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    /// Whether `c` passes every filter this fake implements (others are accepted, ignored).
    pub(super) fn admit(&self, c: &SimContainer) -> bool {
        let any = |key: &str, test: &dyn Fn(&str) -> bool| {
            self.0
                .get(key)
                .is_none_or(|vs| vs.is_empty() || vs.iter().any(|v| test(v)))
        };
        let labels_ok = self.0.get("label").is_none_or(|vs| {
            vs.iter().all(|v| match v.split_once('=') {
                Some((k, want)) => c.labels.get(k).is_some_and(|have| have == want),
                None => c.labels.contains_key(v.as_str()),
            })
        });
        labels_ok
            && any("status", &|s| c.state == s)
            && any("id", &|p| c.id.starts_with(p))
            && any("name", &|re| {
                compile(re).is_some_and(|re| re.search(&format!("/{}", c.name)))
            })
            && any("ancestor", &|img| c.image == img)
    }
}

/// The regexp subset this fake understands: literals, `.`, `*`, `^`, `$` (enough for name
/// prefixes like `^/worker-`). Anything else is refused rather than matched wrongly.
struct Pattern(Vec<char>);

fn compile(re: &str) -> Option<Pattern> {
    let ok = re.chars().all(|c| !"+?()[]{}|\\".contains(c));
    ok.then(|| Pattern(re.chars().collect()))
}

impl Pattern {
    fn search(&self, text: &str) -> bool {
        let text: Vec<char> = text.chars().collect();
        if let Some(rest) = self.0.strip_prefix(&['^']) {
            return match_here(rest, &text);
        }
        (0..=text.len()).any(|i| match_here(&self.0, &text[i..]))
    }
}

fn match_here(re: &[char], text: &[char]) -> bool {
    match re {
        [] => true,
        ['$'] => text.is_empty(),
        [c, '*', rest @ ..] => {
            let mut i = 0;
            loop {
                if match_here(rest, &text[i..]) {
                    return true;
                }
                if i < text.len() && (*c == '.' || text[i] == *c) {
                    i += 1;
                } else {
                    return false;
                }
            }
        }
        [c, rest @ ..] => {
            !text.is_empty() && (*c == '.' || text[0] == *c) && match_here(rest, &text[1..])
        }
    }
}
