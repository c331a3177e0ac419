//! Unit tests of `lock/state_dir.rs`.

use std::os::unix::fs::PermissionsExt;

use super::*;

#[test]
fn a_directory_others_can_write_is_refused_with_the_chmod() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o777, 0o770, 0o720, 0o702] {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        let refused = check_owned_and_private(dir.path(), "DIR").unwrap_err();
        assert!(refused.to_string().contains("`chmod 700 DIR`"), "{refused}");
    }
    for mode in [0o700, 0o750, 0o755] {
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        assert_eq!(check_owned_and_private(dir.path(), "DIR").unwrap(), mode);
    }
}

#[test]
fn a_symlink_is_refused_and_its_target_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::write(&target, "keep me\n").unwrap();
    let link = dir.path().join("lock");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let error = open_in_state_dir(
        OpenOptions::new().write(true).create(true).truncate(true),
        &link,
    )
    .unwrap_err();
    assert!(error.to_string().contains("is a symbolic link"), "{error}");
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
    assert!(refuse_symlink(&link).is_err());
    assert!(refuse_symlink(&target).is_ok());
    assert!(refuse_symlink(&dir.path().join("missing")).is_ok());
}
