//! Secret values: a wrapper that never prints its content, and a redactor that scrubs known
//! secret values out of text we did not write ourselves (CLI output, error bodies).

use std::fmt;

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

/// Replaces every known secret value in a text with `<redacted>`.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    values: Vec<Secret>,
}

impl Redactor {
    /// Remembers a secret; values shorter than 4 characters are ignored (they would mangle
    /// ordinary text and are not worth protecting by substring).
    pub fn add(&mut self, secret: &Secret) {
        if secret.0.len() >= 4 && !self.values.contains(secret) {
            self.values.push(secret.clone());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_and_scrubs_text() {
        let secret = Secret::new("hunter22");
        assert_eq!(format!("{secret} {secret:?}"), "<redacted> <redacted>");
        let mut redactor = Redactor::default();
        redactor.add(&secret);
        assert_eq!(redactor.redact("key=hunter22;"), "key=<redacted>;");
    }
}
