//! The run lock: one `apply` at a time per state directory. Uses the OS file lock
//! (`File::try_lock`), so a lock left by a killed process is released by the kernel and never
//! needs manual cleanup. The file names its holder (host, pid, start time) for the message.
//! Launched CLIs get the locked file as their stdin, so the lock stays held until the last of
//! them exits — even when devicepool itself was killed — and a new run never plans while a
//! launch it cannot see yet is still on its way.
//! HTTP mutations cannot hold the lock that way, so they leave a trace instead: the
//! [`SendLog`] file `sending`, touched before every request and removed when the apply ends.
//! A run that finds it was preceded by a killed one waits until that run's last request has
//! had a full timeout to land ([`RunLock::settle`]) before it reads the fleet.

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
#[derive(Debug, Clone)]
pub struct SendLog {
    path: Arc<PathBuf>,
}

impl SendLog {
    /// Records that a request is about to be sent. A trace that cannot be written is
    /// logged: the request still goes, as it would have without the trace.
    pub fn note(&self) {
        let line = format!(
            "pid {} sent a request at {}\n",
            std::process::id(),
            jiff::Timestamp::now()
        );
        if let Err(e) = std::fs::write(self.path.as_path(), line) {
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
    #[error("cannot open the lock file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl RunLock {
    /// A handle on the same locked file for a child process: while any child holds it, the
    /// lock stays taken.
    pub fn share(&self) -> std::io::Result<File> {
        self.file.try_clone()
    }

    /// Takes `state_dir/lock` without waiting.
    pub fn acquire(state_dir: &Path) -> Result<Self, LockError> {
        let path = state_dir.join("lock");
        let shown = path.display().to_string();
        let io = |source| LockError::Io {
            path: shown.clone(),
            source,
        };
        std::fs::create_dir_all(state_dir).map_err(io)?;
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim();
                return Err(LockError::Busy {
                    path: shown,
                    holder: if holder.is_empty() {
                        "holder unknown".into()
                    } else {
                        holder.to_string()
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "unknown-host".into());
        let note = format!(
            "host {host}, pid {}, since {}\n",
            std::process::id(),
            jiff::Timestamp::now()
                .round(jiff::Unit::Second)
                .unwrap_or(jiff::Timestamp::now())
        );
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
        }
    }

    /// If a killed run left requests on their way, waits until `timeout` has passed since the
    /// last of them was sent (so whatever the server makes of them is visible to this run's
    /// snapshot), then clears the trace. Returns how long it waited.
    pub fn settle(&self, timeout: Duration) -> Duration {
        let log = self.send_log();
        let Ok(meta) = std::fs::metadata(log.path.as_path()) else {
            return Duration::ZERO;
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
        wait
    }
}

/// How much of `timeout` is left at `now` for a request sent at `sent`. A send time in the
/// future (a clock that jumped back) counts as just sent.
fn remaining(sent: SystemTime, now: SystemTime, timeout: Duration) -> Duration {
    let since = now.duration_since(sent).unwrap_or(Duration::ZERO);
    timeout.saturating_sub(since)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let held = RunLock::acquire(dir.path()).unwrap();
        let busy = RunLock::acquire(dir.path()).unwrap_err().to_string();
        assert!(
            busy.contains(&format!("pid {}", std::process::id())),
            "{busy}"
        );
        drop(held);
        assert!(RunLock::acquire(dir.path()).is_ok());
    }

    #[test]
    fn the_wait_after_a_killed_run_is_what_is_left_of_the_timeout() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let timeout = Duration::from_secs(30);
        assert_eq!(
            remaining(t, t + Duration::from_secs(12), timeout),
            Duration::from_secs(18)
        );
        assert_eq!(
            remaining(t, t + Duration::from_secs(31), timeout),
            Duration::ZERO
        );
        assert_eq!(remaining(t + Duration::from_secs(5), t, timeout), timeout);
    }

    #[test]
    fn a_trace_left_behind_is_waited_out_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let lock = RunLock::acquire(dir.path()).unwrap();
        assert_eq!(
            lock.settle(Duration::from_secs(30)),
            Duration::ZERO,
            "no trace, no wait"
        );
        let trace = dir.path().join("sending");
        lock.send_log().note();
        assert!(
            std::fs::read_to_string(&trace)
                .unwrap()
                .contains("sent a request at")
        );
        // Sent an hour ago: long landed.
        let old = SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&trace)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(lock.settle(Duration::from_secs(30)), Duration::ZERO);
        assert!(!trace.exists(), "the trace is cleared");
        // Sent "in the future" (the clock jumped back): the whole timeout is waited.
        lock.send_log().note();
        let future = SystemTime::now() + Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&trace)
            .unwrap()
            .set_modified(future)
            .unwrap();
        assert_eq!(
            lock.settle(Duration::from_millis(20)),
            Duration::from_millis(20)
        );
        lock.send_log().note();
        lock.send_log().finish();
        assert!(!trace.exists());
    }
}
