//! Where each secret comes from: an environment variable (`*_env`) or a file (`*_file`, e.g.
//! one systemd hands over with `LoadCredential=` in `$CREDENTIALS_DIRECTORY`, or a mounted
//! Kubernetes Secret). The load checks (one of the two, never both), the run-time checks
//! (set, readable, not empty) and the reading. Messages name variables and paths, never values.

use std::path::{Path, PathBuf};

use super::input::read_capped;
use super::model::{Desired, Settings};
use super::source_model::{GitlabSource, LambdatestSource, MaasSource, TestflingerSource};
use super::tree::escape;
use super::validate::Problem;
use crate::reconcilers::PerKind;
use crate::reconcilers::device_pools::config::DevicePool;

/// The largest secret file devicepool reads: 64 KiB, far above any token or key.
pub(super) const MAX_SECRET_BYTES: u64 = 64 * 1024;

/// The variable systemd sets to the directory of the unit's credentials (`LoadCredential=`).
pub(super) const CREDENTIALS_DIRECTORY: &str = "CREDENTIALS_DIRECTORY";

/// Where one secret is read from. When both keys are written the load refuses the file, so
/// a `*_file` key present means the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretFrom<'a> {
    /// An environment variable, by name.
    Env(&'a str),
    /// A file, as written in the desired state (see [`resolve_secret_file`]).
    File(&'a Path),
}

fn pick<'a>(env: Option<&'a str>, file: Option<&'a Path>) -> Option<SecretFrom<'a>> {
    file.map(SecretFrom::File).or(env.map(SecretFrom::Env))
}

impl LambdatestSource {
    /// The LambdaTest username: `username_file`, else `username_env`.
    pub fn username(&self) -> Option<SecretFrom<'_>> {
        pick(Some(&self.username_env), self.username_file.as_deref())
    }

    /// The LambdaTest access key: `access_key_file`, else `access_key_env`.
    pub fn access_key(&self) -> Option<SecretFrom<'_>> {
        pick(Some(&self.access_key_env), self.access_key_file.as_deref())
    }
}

impl MaasSource {
    /// The MAAS API key: `api_key_file`, else `api_key_env`.
    pub fn api_key(&self) -> Option<SecretFrom<'_>> {
        pick(self.api_key_env.as_deref(), self.api_key_file.as_deref())
    }
}

impl TestflingerSource {
    /// The client secret: `client_secret_file`, else `client_secret_env` (`None`: anonymous).
    pub fn client_secret(&self) -> Option<SecretFrom<'_>> {
        pick(
            self.client_secret_env.as_deref(),
            self.client_secret_file.as_deref(),
        )
    }
}

impl GitlabSource {
    /// The GitLab admin token: `token_file`, else `token_env`.
    pub fn token(&self) -> Option<SecretFrom<'_>> {
        pick(self.token_env.as_deref(), self.token_file.as_deref())
    }
}

impl Settings {
    /// The ownership key: `ownership_key_file`, else `ownership_key_env` (`None`: no key).
    pub fn ownership_key(&self) -> Option<SecretFrom<'_>> {
        pick(
            self.ownership_key_env.as_deref(),
            self.ownership_key_file.as_deref(),
        )
    }
}

impl super::EtcdLock {
    /// The etcd user name: `username_file`, else `username_env` (`None`: no authentication).
    pub fn username(&self) -> Option<SecretFrom<'_>> {
        pick(self.username_env.as_deref(), self.username_file.as_deref())
    }

    /// The etcd password: `password_file`, else `password_env`.
    pub fn password(&self) -> Option<SecretFrom<'_>> {
        pick(self.password_env.as_deref(), self.password_file.as_deref())
    }
}

impl DevicePool {
    /// The pool's Taskcluster access token: `access_token_file`, else `access_token_env`.
    pub fn access_token(&self) -> Option<SecretFrom<'_>> {
        pick(
            self.access_token_env.as_deref(),
            self.access_token_file.as_deref(),
        )
    }
}

/// When a run needs a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Need {
    /// To read the APIs (so to launch too).
    Read,
    /// Only to launch.
    Launch,
    /// Not at all (what it serves is disabled or absent).
    Never,
}

/// One secret the desired state names: the mapping holding its two keys and their stem.
struct Slot<'a> {
    /// JSON pointer of the mapping, e.g. `/sources/maas`.
    mapping: String,
    /// The keys' stem: `api_key` for `api_key_env` / `api_key_file`.
    stem: &'static str,
    /// Whether `<stem>_env` has a default, so that neither key written is fine.
    env_has_default: bool,
    from: Option<SecretFrom<'a>>,
    need: Need,
}

impl Slot<'_> {
    fn pointer(&self, suffix: &str) -> String {
        format!("{}/{}_{suffix}", self.mapping, self.stem)
    }

    /// What is wrong with the shape of this secret's value, when its API says what a value
    /// looks like (only MAAS: `consumer_key:token_key:token_secret`). Never quotes it.
    fn flaw(&self, value: &str) -> Option<String> {
        let maas = self.mapping == "/sources/maas";
        maas.then(|| maas_key_flaw(value)).flatten().map(|flaw| {
            format!("does not hold a MAAS API key (consumer_key:token_key:token_secret): {flaw}")
        })
    }
}

/// What is wrong with a MAAS API key's shape, never quoting it: three parts separated by
/// `:`, none empty, no whitespace or control character. `None` when it has that shape.
fn maas_key_flaw(key: &str) -> Option<String> {
    let parts: Vec<&str> = key.split(':').collect();
    if parts.len() != 3 {
        return Some(format!(
            "it has {} part(s) separated by ':', not 3",
            parts.len()
        ));
    }
    if let Some(i) = parts.iter().position(|p| p.is_empty()) {
        return Some(format!(
            "its {} part is empty",
            ["first", "second", "third"][i]
        ));
    }
    key.chars()
        .any(|c| c.is_whitespace() || c.is_control())
        .then(|| "it holds whitespace or a control character".to_string())
}

/// Every secret slot of `desired`, with when a run needs it.
fn slots(desired: &Desired) -> Vec<Slot<'_>> {
    let need_if = |wanted: bool, need: Need| if wanted { need } else { Need::Never };
    let PerKind {
        device_pools,
        racks,
        runner_pools,
    } = desired.kinds();
    let active_pools = device_pools.values().any(|p| !p.disabled);
    let active_racks = racks.values().any(|r| !r.disabled);
    // A disabled runner pool is still read and reported: its token is needed all the same.
    let active_runners = !runner_pools.is_empty();
    let mut slots = Vec::new();
    if let Some(lt) = &desired.sources.lambdatest {
        for (stem, from) in [("username", lt.username()), ("access_key", lt.access_key())] {
            slots.push(Slot {
                mapping: "/sources/lambdatest".into(),
                stem,
                env_has_default: true,
                from,
                need: need_if(active_pools, Need::Read),
            });
        }
    }
    if let Some(maas) = &desired.sources.maas {
        slots.push(Slot {
            mapping: "/sources/maas".into(),
            stem: "api_key",
            env_has_default: false,
            from: maas.api_key(),
            need: need_if(active_racks, Need::Read),
        });
    }
    if let Some(tf) = &desired.sources.testflinger {
        slots.push(Slot {
            mapping: "/sources/testflinger".into(),
            stem: "client_secret",
            // Anonymous access needs neither; `check_choices` pairs it with `client_id`.
            env_has_default: true,
            from: tf.client_secret(),
            need: need_if(active_racks, Need::Read),
        });
    }
    if let Some(gl) = &desired.sources.gitlab {
        slots.push(Slot {
            mapping: "/sources/gitlab".into(),
            stem: "token",
            env_has_default: false,
            from: gl.token(),
            need: need_if(active_runners, Need::Read),
        });
    }
    slots.push(Slot {
        mapping: "/settings".into(),
        stem: "ownership_key",
        env_has_default: true,
        from: desired.settings.ownership_key(),
        need: Need::Read,
    });
    if let Some(super::LockSettings::Etcd(etcd)) = &desired.settings.lock {
        for (stem, from) in [("username", etcd.username()), ("password", etcd.password())] {
            slots.push(Slot {
                mapping: "/settings/lock/etcd".into(),
                stem,
                // Without authentication neither is written; `check_lock` pairs them.
                env_has_default: true,
                from,
                need: Need::Launch,
            });
        }
    }
    for (name, pool) in &desired.device_pools {
        slots.push(Slot {
            mapping: format!("/device_pools/{}", escape(name)),
            stem: "access_token",
            env_has_default: false,
            from: pool.access_token(),
            need: need_if(!pool.disabled, Need::Launch),
        });
    }
    slots
}

/// Load-time rules: each secret is given by exactly one of `<stem>_env` and `<stem>_file`
/// (a defaulted `_env` counts only when written), a file path is not empty, and a
/// Testflinger `client_id` goes with a client secret. `document` is the file as written.
pub(super) fn check_choices(desired: &Desired, document: &serde_json::Value) -> Vec<Problem> {
    let mut problems = Vec::new();
    for slot in slots(desired) {
        let env_written = document.pointer(&slot.pointer("env")).is_some();
        match slot.from {
            Some(SecretFrom::File(_)) if env_written => problems.push(Problem::at(
                slot.pointer("file"),
                format!("give {stem}_env or {stem}_file, not both", stem = slot.stem),
            )),
            Some(SecretFrom::File(path)) if path.as_os_str().is_empty() => {
                problems.push(Problem::at(slot.pointer("file"), "must not be empty"));
            }
            None if !slot.env_has_default => problems.push(Problem::at(
                slot.mapping.clone(),
                format!("{stem}_env or {stem}_file is required", stem = slot.stem),
            )),
            _ => {}
        }
    }
    if let Some(tf) = &desired.sources.testflinger
        && tf.client_id.is_some() != tf.client_secret().is_some()
    {
        problems.push(Problem::at(
            "/sources/testflinger",
            "client_id and a client secret (client_secret_env or client_secret_file) go \
             together (or neither, for anonymous access)",
        ));
    }
    problems
}

/// Run-time rules: every secret the run needs is there. A variable must be set and not
/// empty; a file must be a readable regular file of at most [`MAX_SECRET_BYTES`] and not
/// empty. Names the variable or the path, never the value.
pub(super) fn check_available(
    desired: &Desired,
    base: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
    launching: bool,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for slot in slots(desired) {
        let needed = match slot.need {
            Need::Read => true,
            Need::Launch => launching,
            Need::Never => false,
        };
        if !needed {
            continue;
        }
        match slot.from {
            Some(SecretFrom::Env(var)) => {
                let why = match lookup(var) {
                    None => "is not set".to_string(),
                    Some(value) if value.is_empty() => "is set but empty".to_string(),
                    Some(value) => match slot.flaw(&value) {
                        Some(flaw) => flaw,
                        None => continue,
                    },
                };
                problems.push(Problem::at(
                    slot.pointer("env"),
                    format!("environment variable {var} {why}"),
                ));
            }
            Some(SecretFrom::File(path)) => {
                let path = resolve_secret_file(path, base, lookup);
                let message = match read_secret_file(&path) {
                    Ok(value) if value.is_empty() => {
                        format!("secret file {} is empty", path.display())
                    }
                    Ok(value) => match slot.flaw(&value) {
                        Some(flaw) => format!("secret file {} {flaw}", path.display()),
                        None => continue,
                    },
                    Err(error) => {
                        format!("secret file {} cannot be read: {error}", path.display())
                    }
                };
                problems.push(Problem::at(slot.pointer("file"), message));
            }
            // Refused when the file was loaded.
            None => {}
        }
    }
    problems
}

/// Where a `*_file` path points: an absolute path as is; a relative one under
/// `$CREDENTIALS_DIRECTORY` when that is set, else under `base` (the desired-state file's
/// directory).
pub(super) fn resolve_secret_file(
    path: &Path,
    base: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match lookup(CREDENTIALS_DIRECTORY).filter(|dir| !dir.is_empty()) {
        Some(dir) => Path::new(&dir).join(path),
        None => base.join(path),
    }
}

/// A secret file's content without one trailing line ending (`\n` or `\r\n`), as `echo` and
/// editors leave it. The error never holds the content.
pub(super) fn read_secret_file(path: &Path) -> std::io::Result<String> {
    let mut text = read_capped(path, MAX_SECRET_BYTES)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(text)
}

/// The value of one secret, or `None` when the variable is unset or the file unreadable.
pub(super) fn read_secret(
    from: SecretFrom<'_>,
    base: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    match from {
        SecretFrom::Env(var) => lookup(var),
        SecretFrom::File(path) => read_secret_file(&resolve_secret_file(path, base, lookup)).ok(),
    }
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
