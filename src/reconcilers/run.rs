//! What carrying out any kind's actions needs ([`Run`], set up once by `apply` at the edge) and
//! which secret values a render may use ([`Secrets`]). Plain data; no I/O here.

use std::collections::BTreeMap;
use std::path::Path;

use jiff::Timestamp;

use crate::clients::ReadCredentials;
use crate::load::Loaded;
use crate::lock::{RunLock, SendLog};
use crate::render::Templates;
use crate::secret::{Redactor, Secret};

/// What carrying out any kind's actions needs, set up once by `apply` at the edge.
pub struct Run<'a> {
    /// The checked desired state (and where its relative paths start).
    pub loaded: &'a Loaded,
    pub templates: &'a Templates,
    /// API credentials, as the snapshot used them.
    pub credentials: &'a ReadCredentials,
    /// Taskcluster access token per device pool.
    pub tokens: &'a BTreeMap<String, Secret>,
    pub redactor: &'a Redactor,
    /// Where job directories are made (`<state_dir>/jobs`).
    pub state_dir: &'a Path,
    /// The run lock, inherited by every launched CLI; absent only in the demo.
    pub lock: Option<&'a RunLock>,
    /// Every mutating request is recorded here while it may be on its way.
    pub sends: Option<SendLog>,
    /// The time a token exchange is judged against.
    pub now: Timestamp,
}

/// Which secret values a render may use: `Redacted` files (printed, saved in a plan) show every
/// known secret as `<redacted>`; `Real` ones are handed to what runs them, with the
/// Taskcluster access token of each device pool by name.
#[derive(Clone, Copy)]
pub enum Secrets<'a> {
    Redacted,
    Real(&'a BTreeMap<String, Secret>),
}
