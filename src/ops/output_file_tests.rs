//! Unit tests of `ops/output_file.rs`.

use super::check_writable;

#[test]
fn an_out_path_is_checked_without_leaving_anything_behind() {
    let dir = tempfile::tempdir().unwrap();
    check_writable(&dir.path().join("plan.json"), "the plan").unwrap();
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let missing = dir.path().join("missing/plan.json");
    let error = format!("{:#}", check_writable(&missing, "the plan").unwrap_err());
    assert!(
        error.contains(&format!("cannot write the plan to {}", missing.display())),
        "{error}"
    );
    assert!(error.contains("no directory"), "{error}");
    let error = format!("{:#}", check_writable(dir.path(), "the plan").unwrap_err());
    assert!(error.contains("it is a directory"), "{error}");
}
