//! The state directory under attack: symbolic links planted where `apply` keeps its lock, its
//! request trace and its job directories are refused or skipped, never followed (their
//! targets keep content and mode); a state directory others can write, or that another user
//! owns, stops `apply` with exit 1 and the fix before anything is launched.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::support::{Lab, Outcome, pool};

/// A lab whose state directory exists, private, as devicepool would make it.
fn lab_with_state() -> (Lab, PathBuf) {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    let state = lab.path(".devicepool");
    std::fs::create_dir(&state).unwrap();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o700)).unwrap();
    (lab, state)
}

/// A file outside the state directory, with its content and mode, for a link to point at.
fn victim(lab: &Lab) -> (PathBuf, &'static str) {
    let path = lab.path("victim.txt");
    let content = "precious\n";
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    (path, content)
}

/// Applies; expects `code` and the link `name` named as one devicepool does not follow.
fn apply_naming_link(lab: &Lab, code: i32, name: &str) -> Outcome {
    let out = lab.run(&["apply", lab.config_arg(), "--yes"]);
    out.expect_code(code);
    let said = format!("{name} is a symbolic link; devicepool never follows one");
    assert!(out.stderr.contains(&said), "{}", out.stderr);
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

#[test]
fn a_planted_lock_link_is_refused_and_its_target_untouched() {
    let (lab, state) = lab_with_state();
    let (target, content) = victim(&lab);
    symlink(&target, state.join("lock")).unwrap();
    let out = apply_naming_link(&lab, 1, "lock");
    assert!(out.stderr.contains("remove it"), "{}", out.stderr);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), content);
    assert_eq!(mode(&target), 0o644, "not narrowed through the link");
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn a_planted_sending_link_is_refused_without_waiting() {
    let (lab, state) = lab_with_state();
    let (target, content) = victim(&lab);
    symlink(&target, state.join("sending")).unwrap();
    let started = Instant::now();
    apply_naming_link(&lab, 1, "sending");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited on a planted trace: {:?}",
        started.elapsed()
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), content);
    assert_eq!(mode(&target), 0o644);
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn a_planted_jobs_link_is_refused_and_nothing_under_it_deleted() {
    let (lab, state) = lab_with_state();
    let elsewhere = lab.path("elsewhere");
    std::fs::create_dir_all(elsewhere.join("job-precious")).unwrap();
    std::fs::write(elsewhere.join("job-precious/data"), "keep\n").unwrap();
    symlink(&elsewhere, state.join("jobs")).unwrap();
    apply_naming_link(&lab, 1, "jobs");
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("job-precious/data")).unwrap(),
        "keep\n"
    );
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn a_planted_job_dir_link_is_skipped_with_a_warning() {
    let (lab, state) = lab_with_state();
    let elsewhere = lab.path("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("data"), "keep\n").unwrap();
    std::fs::create_dir(state.join("jobs")).unwrap();
    std::fs::create_dir(state.join("jobs/job-left")).unwrap();
    symlink(&elsewhere, state.join("jobs/job-planted")).unwrap();
    apply_naming_link(&lab, 0, "job-planted");
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("data")).unwrap(),
        "keep\n"
    );
    assert!(
        !state.join("jobs/job-left").exists(),
        "a real leftover is swept"
    );
    assert_eq!(lab.fleet.lambdatest.launches().len(), 2);
}

#[test]
fn a_state_dir_others_can_write_stops_apply_with_the_chmod() {
    let (lab, state) = lab_with_state();
    for open in [0o777, 0o770] {
        std::fs::set_permissions(&state, std::fs::Permissions::from_mode(open)).unwrap();
        let out = lab.run(&["apply", lab.config_arg(), "--yes"]);
        out.expect_code(1);
        let shown = std::fs::canonicalize(&state).unwrap();
        let fix = format!("`chmod 700 {}`", shown.display());
        assert!(out.stderr.contains(&fix), "{open:o}: {}", out.stderr);
        assert_eq!(mode(&state), open, "left for the operator to fix");
        assert!(!state.join("lock").exists(), "nothing written in it");
    }
    assert!(lab.fleet.lambdatest.launches().is_empty());
    assert!(lab.requests().is_empty(), "refused before any request");
}

#[test]
fn a_state_dir_another_user_owns_stops_apply_with_the_chown() {
    let (lab, state) = lab_with_state();
    // As root (CI), hand the directory to `nobody`; as anyone else, the chown is not allowed
    // and there is nothing to simulate.
    let path = std::ffi::CString::new(state.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; chown reads it and touches no memory of ours.
    if unsafe { libc::chown(path.as_ptr(), 65534, 65534) } != 0 {
        eprintln!("skipped: only root can hand a directory to another user");
        return;
    }
    let out = lab.run(&["apply", lab.config_arg(), "--yes"]);
    out.expect_code(1);
    assert!(out.stderr.contains("owned by uid 65534"), "{}", out.stderr);
    assert!(out.stderr.contains("`chown "), "{}", out.stderr);
    assert!(!state.join("lock").exists());
    assert!(lab.requests().is_empty(), "refused before any request");
}
