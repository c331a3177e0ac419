//! Exit codes: part of the interface, documented in the README. Terraform-like: 0 success
//! with nothing to do, 1 error, 2 changes (only with `--detailed-exitcode`), then codes of our
//! own for a partly failed apply, held pools and a busy lock.

use std::process::ExitCode;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exit {
    /// Success; nothing to change (or changes without `--detailed-exitcode`).
    Clean = 0,
    /// Error: bad input, unreadable file, nothing was done.
    Error = 1,
    /// `plan --detailed-exitcode`: there are changes to apply.
    Changes = 2,
    /// `apply`: at least one action failed (the others were carried out).
    Partial = 3,
    /// At least one pool was held because a source failed; the others were handled.
    Held = 4,
    /// Another run holds the lock; this one did nothing.
    Locked = 5,
    /// `apply --verify`: the fleet read back after applying breaks a promise this run made (a
    /// device this run started a job on held by two jobs of ours, a runner pool this run
    /// started runners for left above `max_runners`).
    Broken = 6,
}

impl Exit {
    /// The most important of two outcomes: error > locked > broken > partial > held > changes
    /// > clean.
    pub fn worst(self, other: Exit) -> Exit {
        let rank = |e: Exit| match e {
            Exit::Clean => 0,
            Exit::Changes => 1,
            Exit::Held => 2,
            Exit::Partial => 3,
            Exit::Broken => 4,
            Exit::Locked => 5,
            Exit::Error => 6,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit as u8)
    }
}
