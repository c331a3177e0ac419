//! The run lock: one `apply` at a time per state directory (created 0700; the lock file is
//! 0600). Uses the OS file lock
//! (`File::try_lock`), so a lock left by a killed process is released by the kernel and never
//! needs manual cleanup. The file names its holder (host, pid, start time) for the message.
//! Launched CLIs get the locked file as their stdin, so the lock stays held until the last of
//! them exits — even when devicepool itself was killed — and a new run never plans while a
//! launch it cannot see yet is still on its way.
//! HTTP mutations cannot hold the lock that way, so they leave a trace instead: the
//! [`SendLog`] file `sending`, touched before every request and removed when the apply ends.
//! A run that finds it was preceded by a killed one waits until that run's last request has
//! had a full timeout to land ([`RunLock::settle`]) before it reads the fleet.
//! The directory must be the running user's and closed to other writers, and no state file
//! is reached through a symbolic link ([`state_dir`]).

mod state_dir;

pub use state_dir::UnsafeState;
pub(crate) use state_dir::{open_in_state_dir, refuse_symlink};

pub mod etcd;
pub mod kubernetes;
pub mod lease;
pub mod record;
pub mod transport;

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct RunLock {
    file: File,
    state_dir: PathBuf,
}

/// The trace of mutating requests on their way: `<state_dir>/sending`, whose modification
/// time is the moment the latest request was sent. Only exists while an apply sends, or after
/// one was killed while it did.
#[derive(Clone)]
pub struct SendLog {
    path: Arc<PathBuf>,
    /// The distributed lease, checked (and its record updated) before every mutation, with
    /// how long an HTTP mutation may be on its way.
    lease: Option<(Arc<lease::Fence>, Duration)>,
}

impl SendLog {
    /// The same log, also fenced by `lease`: an HTTP mutation may be on its way for
    /// `timeout` after it is sent.
    pub fn fenced_by(mut self, lease: Option<Arc<lease::Fence>>, timeout: Duration) -> SendLog {
        self.lease = lease.map(|fence| (fence, timeout));
        self
    }

    /// Before a launch of a CLI that may run `timeout`: checks the lease and records the
    /// launch in it (the local file lock is handed to the CLI itself).
    pub fn note_launch(&self, timeout: Duration) -> Result<(), String> {
        match &self.lease {
            Some((fence, _)) => fence.note(timeout),
            None => Ok(()),
        }
    }

    /// Records that a request is about to be sent: `Err` (why) when the run's lease does
    /// not allow a new mutation. A local trace that cannot be written is logged: the
    /// request still goes, as it would have without the trace.
    pub fn note(&self) -> Result<(), String> {
        if let Some((fence, timeout)) = &self.lease {
            fence.note(*timeout)?;
        }
        self.note_locally();
        Ok(())
    }

    fn note_locally(&self) {
        let line = format!(
            "pid {} sent a request at {}\n",
            std::process::id(),
            jiff::Timestamp::now()
        );
        use std::os::unix::fs::OpenOptionsExt;
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true).mode(0o600);
        let written = open_in_state_dir(&mut options, &self.path)
            .and_then(|mut file| file.write_all(line.as_bytes()));
        if let Err(e) = written {
            tracing::warn!(path = %self.path.display(), "cannot record a request on its way: {e}");
        }
    }

    /// Removes the trace: every request sent has been answered or has failed.
    pub fn finish(&self) {
        let _ = std::fs::remove_file(self.path.as_path());
    }
}

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("another devicepool run holds the lock {path}: {holder}")]
    Busy { path: String, holder: String },
    #[error("cannot open the lock file {path}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("settings.state_dir {state_dir} cannot be used: {blocker} is a file, not a directory")]
    NotADirectory { state_dir: String, blocker: String },
    #[error(transparent)]
    Unsafe(#[from] UnsafeState),
    #[error("cannot take the lease: {0}")]
    Lease(String),
}

/// How long a run that finds the lock taken waits for its holder to write its record: the
/// holder writes it right after taking the lock.
const RECORD_WAIT: Duration = Duration::from_secs(2);

impl RunLock {
    /// A handle on the same locked file for a child process: while any child holds it, the
    /// lock stays taken.
    pub fn share(&self) -> std::io::Result<File> {
        self.file.try_clone()
    }

    /// Takes `state_dir/lock`, trying again while another run holds it until `wait` has
    /// passed (`--wait-lock`).
    pub fn acquire_waiting(state_dir: &Path, wait: Duration) -> Result<Self, LockError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            match Self::acquire(state_dir) {
                Err(LockError::Busy { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(200));
                }
                taken => return taken,
            }
        }
    }

    /// Who holds `state_dir/lock` now (its note), or `None` when no run holds it. Takes
    /// nothing (a free lock is let go at once).
    pub fn holder(state_dir: &Path) -> Option<String> {
        let mut file =
            open_in_state_dir(OpenOptions::new().read(true), &state_dir.join("lock")).ok()?;
        match file.try_lock_shared() {
            Ok(()) => None,
            Err(_) => Some(read_record(&mut file, RECORD_WAIT).trim().to_string()),
        }
    }

    /// Takes `state_dir/lock` without waiting (creating the directory 0700 and the file
    /// 0600).
    pub fn acquire(state_dir: &Path) -> Result<Self, LockError> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
        let path = state_dir.join("lock");
        if let Some(blocker) = file_in_the_way(state_dir) {
            return Err(LockError::NotADirectory {
                state_dir: shown_path(state_dir),
                blocker: std::fs::canonicalize(&blocker)
                    .map_or_else(|_| shown_path(&blocker), |b| b.display().to_string()),
            });
        }
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(state_dir)
            .map_err(|source| LockError::Io {
                path: shown_path(&path),
                source,
            })?;
        // A directory that was there before is not narrowed (`state_dir: .` is allowed), but it
        // must be ours and closed to other writers; the operator hears when others can read it.
        let shown_dir = std::fs::canonicalize(state_dir)
            .map_or_else(|_| shown_path(state_dir), |d| d.display().to_string());
        let mode = state_dir::check_owned_and_private(state_dir, &shown_dir)?;
        if mode & 0o077 != 0 {
            tracing::warn!(
                state_dir = %shown_dir,
                mode = format_args!("{:o}", mode & 0o777),
                "the state directory is open to other users; `chmod 700` it (devicepool creates it 0700)"
            );
        }
        // Now that the directory exists, `..` and symlinks can be resolved away.
        let shown = std::fs::canonicalize(state_dir).map_or_else(
            |_| shown_path(&path),
            |dir| dir.join("lock").display().to_string(),
        );
        let io = |source| LockError::Io {
            path: shown.clone(),
            source,
        };
        let mut file = open_in_state_dir(
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o600),
            &path,
        )
        .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let note = read_record(&mut file, RECORD_WAIT);
                return Err(LockError::Busy {
                    path: shown,
                    holder: describe_holder(note.trim(), &this_host(), |pid| {
                        Path::new(&format!("/proc/{pid}")).exists()
                    }),
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        // A lock file made by an older version, or with a wider umask, is narrowed.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(io)?;
        let host = this_host();
        let note = format!(
            "host {host}, pid {}, since {}\n",
            std::process::id(),
            jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or(jiff::Timestamp::now())
        );
        // One write: a run that finds the file empty meanwhile waits for it (`read_record`).
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        file.write_all(note.as_bytes()).map_err(io)?;
        Ok(Self {
            file,
            state_dir: state_dir.to_path_buf(),
        })
    }

    /// Where this run's mutating requests leave their trace.
    pub fn send_log(&self) -> SendLog {
        SendLog {
            path: Arc::new(self.state_dir.join("sending")),
            lease: None,
        }
    }

    /// If a killed run left requests on their way, waits until `timeout` has passed since the
    /// last of them was sent (so whatever the server makes of them is visible to this run's
    /// snapshot), then clears the trace. Returns how long it waited; a trace that is a
    /// symbolic link is refused, not followed.
    pub fn settle(&self, timeout: Duration) -> Result<Duration, LockError> {
        let log = self.send_log();
        refuse_symlink(&log.path)?;
        let Ok(meta) = std::fs::symlink_metadata(log.path.as_path()) else {
            return Ok(Duration::ZERO);
        };
        let wait = meta
            .modified()
            .map_or(timeout, |sent| remaining(sent, SystemTime::now(), timeout));
        if !wait.is_zero() {
            tracing::warn!(
                wait_ms = wait.as_millis() as u64,
                "an earlier run was killed while requests were on their way; waiting for them to land before reading the fleet"
            );
            std::thread::sleep(wait);
        }
        log.finish();
        Ok(wait)
    }
}

/// The nearest existing ancestor of `dir` (or `dir` itself) when it is not a directory.
fn file_in_the_way(dir: &Path) -> Option<PathBuf> {
    let existing = dir.ancestors().find(|a| a.symlink_metadata().is_ok())?;
    (!existing.is_dir()).then(|| existing.to_path_buf())
}

/// The holder's record in the lock file. Empty while the holder has taken the lock but not
/// written its record yet: read again until it is there, or `wait` has passed.
fn read_record(file: &mut File, wait: Duration) -> String {
    let deadline = std::time::Instant::now() + wait;
    loop {
        let mut note = String::new();
        let read = file.rewind().and_then(|()| file.read_to_string(&mut note));
        if read.is_err() || !note.trim().is_empty() || std::time::Instant::now() >= deadline {
            return note;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The lock path as the message shows it: absolute, since the state directory is resolved
/// against the desired-state file's directory, not the operator's.
fn shown_path(path: &Path) -> String {
    std::path::absolute(path)
        .unwrap_or_else(|_| path.to_path_buf())
        .display()
        .to_string()
}

/// This machine's host name, as the lock note records it.
pub(crate) fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "unknown-host".into())
}

/// The holder as the busy message names it: the lock note, and — when the note names a
/// process of this host that is gone — that a job it launched holds the lock (launched CLIs
/// inherit the locked file as their stdin).
fn describe_holder(note: &str, host: &str, is_alive: impl Fn(u32) -> bool) -> String {
    if note.is_empty() {
        return format!(
            "its holder has not written its record (host, pid) within {}s",
            RECORD_WAIT.as_secs()
        );
    }
    match holder_pid(note, host) {
        Some(pid) if !is_alive(pid) => {
            format!("{note}; pid {pid} has exited; a job it launched still holds the lock")
        }
        _ => note.to_string(),
    }
}

/// The pid in a lock note (`host H, pid N, since T`), when H is `host`: a pid of another
/// host cannot be looked up here.
fn holder_pid(note: &str, host: &str) -> Option<u32> {
    let mut fields = note.split(", ");
    let noted_host = fields.next()?.strip_prefix("host ")?;
    let pid = fields.next()?.strip_prefix("pid ")?;
    (noted_host == host).then_some(())?;
    pid.parse().ok()
}

/// How much of `timeout` is left at `now` for a request sent at `sent`. A send time in the
/// future (a clock that jumped back) counts as just sent.
fn remaining(sent: SystemTime, now: SystemTime, timeout: Duration) -> Duration {
    let since = now.duration_since(sent).unwrap_or(Duration::ZERO);
    timeout.saturating_sub(since)
}

#[cfg(test)]
mod tests;
