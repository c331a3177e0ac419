//! Secret values: a wrapper that never prints its content, and a redactor that scrubs known
//! secret values, plain or base64-encoded, out of text we did not write ourselves (CLI
//! output, error bodies, rendered job files that are shown or saved).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE_NO_PAD};

/// Shown wherever a secret would be.
pub const REDACTED: &str = "<redacted>";

/// A secret string. `Debug` and `Display` print `<redacted>`; only `expose` reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The real value, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// This token as an `Authorization: Bearer` value, still secret.
    pub fn bearer(&self) -> Secret {
        Secret(format!("Bearer {}", self.0))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Replaces every known secret value in a text with `<redacted>`: the value itself, its
/// base64 forms at any alignment (standard and URL-safe alphabets) and the HTTP Basic
/// credentials it is part of.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    values: Vec<Secret>,
}

/// Shortest base64 fragment scrubbed: shorter ones could match ordinary text.
const MIN_ENCODED_FRAGMENT: usize = 8;

impl Redactor {
    /// Remembers a secret and its base64 forms; values shorter than 4 characters are
    /// ignored (they would mangle ordinary text and are not worth protecting by substring).
    pub fn add(&mut self, secret: &Secret) {
        if secret.0.len() < 4 {
            return;
        }
        self.remember(secret.0.clone());
        for fragment in encoded_fragments(secret.0.as_bytes()) {
            self.remember(fragment);
        }
    }

    /// Remembers the `Authorization: Basic` value for `user` and `password`, which shows
    /// neither in the clear.
    pub fn add_basic(&mut self, user: &str, password: &Secret) {
        if password.0.len() >= 4 {
            let pair = Secret::new(format!("{user}:{}", password.0));
            self.remember(STANDARD.encode(pair.0.as_bytes()));
            self.add(&pair);
        }
    }

    fn remember(&mut self, value: String) {
        if !self.values.iter().any(|s| s.0 == value) {
            self.values.push(Secret(value));
            // Longest first, so a secret containing another is replaced whole.
            self.values.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.values {
            out = out.replace(&secret.0, REDACTED);
        }
        out
    }
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
mod tests;
