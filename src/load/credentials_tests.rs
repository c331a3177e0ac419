//! Unit tests of `load/credentials.rs`.

use std::path::Path;

use super::*;

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn a_relative_secret_file_is_found_under_the_credentials_directory_when_set() {
    let base = Path::new("/etc/devicepool/plans");
    let systemd = |name: &str| {
        (name == CREDENTIALS_DIRECTORY).then(|| "/run/credentials/devicepool.service".to_string())
    };
    assert_eq!(
        resolve_secret_file(Path::new("lt-key"), base, &systemd),
        Path::new("/run/credentials/devicepool.service/lt-key")
    );
    assert_eq!(
        resolve_secret_file(Path::new("lt-key"), base, &no_env),
        Path::new("/etc/devicepool/plans/lt-key")
    );
    assert_eq!(
        resolve_secret_file(Path::new("/srv/lt-key"), base, &systemd),
        Path::new("/srv/lt-key")
    );
}

#[test]
fn a_secret_file_loses_one_trailing_line_ending_only() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("key\n", "key"),
        ("key\r\n", "key"),
        ("key\n\n", "key\n"),
        ("key", "key"),
        (" key \n", " key "),
    ];
    for (written, read) in cases {
        let path = dir.path().join("secret");
        std::fs::write(&path, written).unwrap();
        assert_eq!(read_secret_file(&path).unwrap(), read, "{written:?}");
    }
}

#[test]
fn a_secret_file_must_be_a_small_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(MAX_SECRET_BYTES + 1)
        .unwrap();
    let error = read_secret_file(&big).unwrap_err().to_string();
    assert!(error.contains("larger than 64 KiB"), "{error}");
    let error = read_secret_file(dir.path()).unwrap_err().to_string();
    assert_eq!(error, "it is a directory, not a regular file");
}

#[test]
fn the_file_wins_when_both_are_known_and_neither_means_none() {
    assert_eq!(
        pick(Some("LT_ACCESS_KEY"), Some(Path::new("lt-key"))),
        Some(SecretFrom::File(Path::new("lt-key")))
    );
    assert_eq!(pick(Some("K"), None), Some(SecretFrom::Env("K")));
    assert_eq!(pick(None, None), None);
}
