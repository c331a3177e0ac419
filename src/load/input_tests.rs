//! Unit tests of `load/input.rs`.

use super::*;

#[test]
fn only_regular_files_under_the_cap_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.yaml");
    std::fs::write(&small, "version: 1\n").unwrap();
    assert_eq!(read_input(&small).unwrap(), "version: 1\n");
    let big = dir.path().join("big.yaml");
    let file = std::fs::File::create(&big).unwrap();
    file.set_len(MAX_INPUT_BYTES + 1).unwrap();
    let error = read_input(&big).unwrap_err().to_string();
    assert!(error.contains("larger than 16 MiB"), "{error}");
    let error = read_input(dir.path()).unwrap_err().to_string();
    assert_eq!(error, "it is a directory, not a regular file");
    let error = read_input(Path::new("/dev/zero")).unwrap_err().to_string();
    assert_eq!(error, "it is a character device, not a regular file");
}
