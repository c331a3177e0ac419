//! The redactor: replaces every known secret value in a text with `<redacted>`, in every form
//! it may take there, and is the one way to quote text devicepool did not write
//! ([`Redactor::excerpt`]: the whole text is redacted before it is cut). It holds the values;
//! it never prints, logs or returns any of them. Its clones share what they know, so a
//! secret learned during a run (an issued access token, a new runner's token) is redacted by
//! every client from then on.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

use super::{REDACTED, Secret};

/// Replaces every known secret value in a text with `<redacted>`: the value itself, its
/// base64 forms at any alignment (standard and URL-safe alphabets), its percent-encoded forms
/// (once and twice, upper- and lower-case hex), its JSON-escaped forms and the HTTP Basic
/// credentials it is part of. Every byte of every occurrence of any form is covered, even
/// where occurrences overlap.
#[derive(Clone, Default)]
pub struct Redactor {
    /// What every clone knows.
    known: Arc<RwLock<Known>>,
}

/// The forms a redactor scrubs.
#[derive(Default)]
struct Known {
    /// Every form to scrub, by its first [`KEY`] bytes; each list longest first.
    forms: HashMap<[u8; KEY], Vec<Secret>>,
    /// Whether some form starts with this byte: most positions of a text are skipped on it.
    starts: Vec<bool>,
}

/// How an excerpt is cut after redaction.
#[derive(Debug, Clone, Copy)]
pub struct Cut {
    /// Characters kept; `…` marks a cut.
    pub chars: usize,
    /// One line: every run of whitespace becomes one space. Otherwise lines are kept and only
    /// the ends are trimmed.
    pub fold_whitespace: bool,
}

/// Shortest value scrubbed (bytes), and the length of the index key.
const KEY: usize = 4;

/// Shortest base64 fragment scrubbed: shorter ones could match ordinary text.
const MIN_ENCODED_FRAGMENT: usize = 8;

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count: usize = self.known().forms.values().map(Vec::len).sum();
        write!(f, "Redactor({count} forms)")
    }
}

impl Redactor {
    /// Remembers a secret and its encoded forms; values shorter than 4 bytes are ignored
    /// (they would mangle ordinary text and are not worth protecting by substring).
    pub fn add(&mut self, secret: &Secret) {
        self.learn(secret);
    }

    /// [`Redactor::add`] through a shared handle: a secret learned during a run (an issued
    /// token), known from then on to this redactor and every clone of it.
    pub fn learn(&self, secret: &Secret) {
        let value = secret.expose();
        if value.len() < KEY {
            return;
        }
        self.remember(value.to_string());
        for fragment in encoded_fragments(value.as_bytes()) {
            self.remember(fragment);
        }
        for lower in [false, true] {
            let once = percent_encode(value, lower);
            self.remember(percent_encode(&once, lower));
            self.remember(once);
        }
        let json = serde_json::to_string(value).expect("strings serialise");
        let json = &json[1..json.len() - 1];
        self.remember(json.replace('/', "\\/"));
        self.remember(json.to_string());
    }

    /// Remembers the `Authorization: Basic` value for `user` and `password`, which shows
    /// neither in the clear.
    pub fn add_basic(&mut self, user: &str, password: &Secret) {
        if password.expose().len() >= KEY {
            let pair = Secret::new(format!("{user}:{}", password.expose()));
            self.remember(STANDARD.encode(pair.expose().as_bytes()));
            self.add(&pair);
        }
    }

    /// What the clones know, for reading.
    fn known(&self) -> std::sync::RwLockReadGuard<'_, Known> {
        self.known.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn remember(&self, value: String) {
        let Some(key) = value.as_bytes().first_chunk::<KEY>().copied() else {
            return;
        };
        let mut known = self.known.write().unwrap_or_else(PoisonError::into_inner);
        let known = &mut *known;
        let forms = known.forms.entry(key).or_default();
        if !forms.iter().any(|s| s.expose() == value) {
            forms.push(Secret::new(value));
            // Longest first, so the longest form at a position is the one found.
            forms.sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
        }
        known.starts.resize(256, false);
        known.starts[usize::from(key[0])] = true;
    }

    /// `text` with every run of bytes covered by a known form replaced by one `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        let known = self.known();
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut run: Option<(usize, usize)> = None;
        let mut close = |out: &mut String, (start, end): (usize, usize)| {
            out.push_str(&text[copied..start]);
            out.push_str(REDACTED);
            copied = end;
        };
        for start in 0..bytes.len().saturating_sub(KEY - 1) {
            if !known
                .starts
                .get(usize::from(bytes[start]))
                .copied()
                .unwrap_or(false)
            {
                continue;
            }
            let key = bytes[start..].first_chunk::<KEY>().expect("in range");
            let Some(form) = known.forms.get(key).and_then(|forms| {
                forms
                    .iter()
                    .find(|f| bytes[start..].starts_with(f.expose().as_bytes()))
            }) else {
                continue;
            };
            let end = start + form.expose().len();
            run = match run {
                Some((run_start, run_end)) if start <= run_end => {
                    Some((run_start, run_end.max(end)))
                }
                Some(done) => {
                    close(&mut out, done);
                    Some((start, end))
                }
                None => Some((start, end)),
            };
        }
        if let Some(done) = run {
            close(&mut out, done);
        }
        out.push_str(&text[copied..]);
        out
    }

    /// The one way to quote a text devicepool did not write (an error body, a CLI's output):
    /// every known secret is redacted in the WHOLE text first, and only then is the text
    /// folded and cut, so a secret that crosses the cut is gone, not half-shown.
    pub fn excerpt(&self, text: &str, cut: Cut) -> String {
        let redacted = self.redact(text);
        if cut.fold_whitespace {
            let folded = redacted
                .split_whitespace()
                .enumerate()
                .flat_map(|(i, word)| (i > 0).then_some(' ').into_iter().chain(word.chars()));
            first_chars(folded, cut.chars)
        } else {
            first_chars(redacted.trim().chars(), cut.chars)
        }
    }
}

/// The first `max` characters of `chars`, with `…` when there were more.
fn first_chars(chars: impl Iterator<Item = char>, max: usize) -> String {
    let mut chars = chars.peekable();
    let mut out: String = chars.by_ref().take(max).collect();
    if chars.peek().is_some() {
        out.push('…');
    }
    out
}

/// `raw` percent-encoded as OAuth and form bodies do it: every byte but RFC 3986
/// unreserved ones, in upper- or lower-case hex.
fn percent_encode(raw: &str, lower: bool) -> String {
    let mut out = String::with_capacity(raw.len() * 3);
    for byte in raw.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(byte as char);
        } else if lower {
            out.push_str(&format!("%{byte:02x}"));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The base64 characters that depend only on `bytes`, wherever `bytes` sits in a longer
/// encoded text: one fragment per alignment (0, 1 or 2 bytes before it) and alphabet.
fn encoded_fragments(bytes: &[u8]) -> Vec<String> {
    let mut fragments = Vec::new();
    for before in 0..3usize {
        let mut padded = vec![0u8; before];
        padded.extend_from_slice(bytes);
        // Character i covers bits [6i, 6i + 6); keep those inside the secret's bits.
        let first = (8 * before).div_ceil(6);
        let end = 8 * (before + bytes.len()) / 6;
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&padded);
            if let Some(fragment) = encoded.get(first..end)
                && fragment.len() >= MIN_ENCODED_FRAGMENT
            {
                fragments.push(fragment.to_string());
            }
        }
    }
    fragments
}

#[cfg(test)]
#[path = "redactor_tests.rs"]
mod tests;
