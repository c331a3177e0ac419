//! Reading the files devicepool is handed (the desired state, a saved plan, a secret file):
//! regular files of at most [`MAX_INPUT_BYTES`] (or a smaller cap), checked before a byte is
//! read, so `/dev/zero` is not read forever and a FIFO does not hang the run. Reads only;
//! never follows up with a request.

use std::io::Read;
use std::path::Path;

/// The largest desired-state or saved-plan file devicepool reads: 16 MiB.
pub const MAX_INPUT_BYTES: u64 = 16 * 1024 * 1024;

/// The text of `path`, refused (with the reason as an I/O error) unless it is a regular file
/// (a symlink to one counts) of at most [`MAX_INPUT_BYTES`] holding UTF-8.
pub fn read_input(path: &Path) -> std::io::Result<String> {
    read_capped(path, MAX_INPUT_BYTES)
}

/// The text of `path` under the same rules as [`read_input`], with a cap of `max` bytes.
pub(crate) fn read_capped(path: &Path, max: u64) -> std::io::Result<String> {
    // The type is checked before opening: opening a FIFO for reading blocks until a writer
    // comes, and a device has no end.
    check_regular(&std::fs::metadata(path)?, max)?;
    let file = std::fs::File::open(path)?;
    // Checked again on the opened file, in case the path was swapped in between.
    let meta = file.metadata()?;
    check_regular(&meta, max)?;
    let mut text = String::new();
    file.take(max + 1).read_to_string(&mut text)?;
    if text.len() as u64 > max {
        return Err(too_large(max));
    }
    Ok(text)
}

fn check_regular(meta: &std::fs::Metadata, max: u64) -> std::io::Result<()> {
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", describe(&meta.file_type())),
        ));
    }
    if meta.len() > max {
        return Err(too_large(max));
    }
    Ok(())
}

fn too_large(max: u64) -> std::io::Error {
    let limit = if max >= 1024 * 1024 {
        format!("{} MiB", max / (1024 * 1024))
    } else {
        format!("{} KiB", max / 1024)
    };
    std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("it is larger than {limit}, the most devicepool reads"),
    )
}

/// What kind of file it is, for the message.
fn describe(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
