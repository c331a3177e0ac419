//! The run lock: one `apply` at a time per state directory. Uses the OS file lock
//! (`File::try_lock`), so a lock left by a killed process is released by the kernel and never
//! needs manual cleanup. The file names its holder (host, pid, start time) for the message.
//! Launched CLIs get the locked file as their stdin, so the lock stays held until the last of
//! them exits — even when devicepool itself was killed — and a new run never plans while a
//! launch it cannot see yet is still on its way.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::Path;

/// A held lock; released when dropped.
#[derive(Debug)]
pub struct RunLock {
    file: File,
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
        Ok(Self { file })
    }
}
