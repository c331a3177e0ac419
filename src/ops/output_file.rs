//! Files a run writes besides stdout (`plan --out`, `--metrics-file`): checked before any
//! request, so a typo does not cost a whole snapshot, then written atomically (a temp file in
//! the same directory, then a rename), so a reader never sees half a file.

use std::path::Path;

use anyhow::Context;

/// The directory `out` is written in (the temp file goes there too).
fn resolve_dir(out: &Path) -> &Path {
    out.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Fails, naming `out` and `what` it is for, unless a file can be written there: creates and
/// removes a temp file in the directory, as [`write_atomically`] will.
pub(super) fn check_writable(out: &Path, what: &str) -> anyhow::Result<()> {
    let cannot = || format!("cannot write {what} to {}", out.display());
    let dir = resolve_dir(out);
    if out.is_dir() {
        anyhow::bail!("{}: it is a directory", cannot());
    }
    if !dir.is_dir() {
        anyhow::bail!("{}: no directory {}", cannot(), dir.display());
    }
    tempfile::NamedTempFile::new_in(dir)
        .and_then(|probe| probe.close())
        .with_context(cannot)
}

/// Writes `text` to `out` atomically, with `mode` (else the temp file's 0600).
pub(super) fn write_atomically(out: &Path, text: &str, mode: Option<u32>) -> anyhow::Result<()> {
    let context = || format!("writing {}", out.display());
    let mut file = tempfile::NamedTempFile::new_in(resolve_dir(out)).with_context(context)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).with_context(context)?;
    if let Some(mode) = mode {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(mode))
            .with_context(context)?;
    }
    file.persist(out).with_context(context)?;
    Ok(())
}

#[cfg(test)]
#[path = "output_file_tests.rs"]
mod tests;
