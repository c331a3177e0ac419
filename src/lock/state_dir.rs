//! The state directory's rules: a directory owned by the running user that no other user can
//! write (else planted symlinks could steer what devicepool writes or deletes), and every state
//! file in it opened or swept without following a symlink. Checks and opens only; the lock
//! itself is `lock/mod.rs`.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why a state directory or a file in it is not used.
#[derive(Debug, thiserror::Error)]
pub enum UnsafeState {
    #[error(
        "settings.state_dir {dir} is owned by uid {owner}, not by the user running devicepool \
         (uid {user}); `chown {user} {dir}` it or pick a directory of your own"
    )]
    NotOwned { dir: String, owner: u32, user: u32 },
    #[error(
        "settings.state_dir {dir} is writable by other users (mode {mode:o}), who could plant \
         symbolic links in it; `chmod 700 {dir}` it"
    )]
    OpenToOthers { dir: String, mode: u32 },
    #[error(
        "{path} is a symbolic link; devicepool never follows one in its state directory: \
         remove it (`rm {path}`)"
    )]
    Symlink { path: String },
}

/// The effective uid of this process: whom the state directory must belong to.
fn running_user() -> u32 {
    // SAFETY: geteuid takes no argument, touches no memory and cannot fail.
    unsafe { libc::geteuid() }
}

/// Refuses `dir` (an existing directory, shown as `shown`) unless the running user owns it
/// and neither its group nor others may write it. Returns its mode, for the caller's warning
/// about readers.
pub(super) fn check_owned_and_private(dir: &Path, shown: &str) -> Result<u32, UnsafeState> {
    let Ok(meta) = std::fs::metadata(dir) else {
        // Not there or not readable: opening the lock file reports it.
        return Ok(0o700);
    };
    let mode = meta.permissions().mode() & 0o7777;
    let user = running_user();
    if meta.uid() != user {
        return Err(UnsafeState::NotOwned {
            dir: shown.to_string(),
            owner: meta.uid(),
            user,
        });
    }
    if mode & 0o022 != 0 {
        return Err(UnsafeState::OpenToOthers {
            dir: shown.to_string(),
            mode: mode & 0o777,
        });
    }
    Ok(mode)
}

/// `options` opening `path` as it is: a symbolic link there fails with [`UnsafeState::Symlink`]
/// instead of being followed (`O_NOFOLLOW`); any other failure is the OS error.
pub(crate) fn open_in_state_dir(options: &mut OpenOptions, path: &Path) -> std::io::Result<File> {
    options
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| match refuse_symlink(path) {
            Err(refused) => std::io::Error::other(refused),
            Ok(()) => e,
        })
}

/// Fails with [`UnsafeState::Symlink`] when `path` itself is a symbolic link; a path that
/// is not there, or anything else, passes.
pub(crate) fn refuse_symlink(path: &Path) -> Result<(), UnsafeState> {
    match path.symlink_metadata() {
        Ok(meta) if meta.file_type().is_symlink() => Err(UnsafeState::Symlink {
            path: std::path::absolute(path)
                .unwrap_or_else(|_| path.to_path_buf())
                .display()
                .to_string(),
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[path = "state_dir_tests.rs"]
mod tests;
