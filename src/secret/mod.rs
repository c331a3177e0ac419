//! Secret values: a wrapper that never prints its content, and a redactor that scrubs known
//! secret values, plain or encoded, out of text we did not write ourselves (CLI output, error
//! bodies, rendered job files that are shown or saved): see `secret/redactor.rs`.

use std::fmt;

mod redactor;

pub use redactor::{Cut, Redactor};

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

#[cfg(test)]
mod tests;
