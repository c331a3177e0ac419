//! Careless files and environments: inputs that are not regular files or too large, usage
//! errors (exit 1, never the 2 of "changes present"), and the state directory and its lock.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::{Lab, devicepool, pool};

/// A FIFO at `path`. A reader that opens it blocks until a writer comes: the thread opens it
/// for writing after `after`, so a run that hangs on it ends (and shows by its duration).
fn make_fifo(path: &Path, after: Duration) {
    let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid NUL-terminated path; mkfifo reads it and touches no memory of ours.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0, "mkfifo");
    let path = path.to_path_buf();
    let _detached = std::thread::spawn(move || {
        std::thread::sleep(after);
        use std::os::unix::fs::OpenOptionsExt;
        // Non-blocking: with no reader left it fails at once, which is fine.
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&path);
    });
}

/// Inputs that are not small regular files, each with the reason the binary gives: a device,
/// a FIFO and a sparse file just over the 16 MiB cap, the last two in the lab. Dropped before
/// the lab: the FIFO goes, so the lab's secret guard does not block reading it.
struct HostileInputs {
    cases: Vec<(String, &'static str)>,
    fifo: std::path::PathBuf,
}

impl HostileInputs {
    fn new(lab: &Lab, ext: &str) -> HostileInputs {
        let fifo = lab.path(&format!("fifo.{ext}"));
        make_fifo(&fifo, Duration::from_secs(10));
        let big = lab.path(&format!("big.{ext}"));
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(16 * 1024 * 1024 + 1).unwrap();
        let shown = |p: &Path| p.to_str().unwrap().to_string();
        let cases = vec![
            (
                "/dev/zero".to_string(),
                "it is a character device, not a regular file",
            ),
            (shown(&fifo), "it is a FIFO, not a regular file"),
            (shown(&big), "it is larger than 16 MiB"),
        ];
        HostileInputs { cases, fifo }
    }
}

impl Drop for HostileInputs {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.fifo);
    }
}

#[test]
fn a_desired_state_that_is_not_a_small_regular_file_is_refused_before_any_request() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let inputs = HostileInputs::new(&lab, "yaml");
    for verb in ["validate", "plan", "apply"] {
        for (path, why) in &inputs.cases {
            let started = Instant::now();
            let out = lab.run(&[verb, path.as_str()]);
            out.expect_code(1);
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{verb} {path} hung"
            );
            assert!(
                out.stderr.contains(&format!("cannot read {path}: {why}")),
                "{verb} {path}: {}",
                out.stderr
            );
        }
    }
    assert!(lab.requests().is_empty(), "a request was sent");
}

#[test]
fn a_saved_plan_that_is_not_a_small_regular_file_is_refused_before_any_request() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let inputs = HostileInputs::new(&lab, "json");
    for (path, why) in &inputs.cases {
        let started = Instant::now();
        let out = lab.run(&["apply", lab.config_arg(), "--plan", path]);
        out.expect_code(1);
        assert!(started.elapsed() < Duration::from_secs(5), "{path} hung");
        assert!(
            out.stderr
                .contains(&format!("cannot read the saved plan {path}: {why}")),
            "{path}: {}",
            out.stderr
        );
    }
    assert!(lab.requests().is_empty(), "a request was sent");
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn usage_errors_exit_1_not_the_2_of_changes_present() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let config = lab.config_arg();
    let cases = [
        (
            lab.command(&["plan", config, "--detailed-exitcod"]),
            "unexpected argument '--detailed-exitcod'",
        ),
        (
            lab.command(&["plan", config, "--format", "yaml"]),
            "invalid value 'yaml' for '--format <FORMAT>'",
        ),
        (
            lab.command(&["plan", "--detailed-exitcode"])
                .env("DEVICEPOOL_CONFIG", ""),
            "note: DEVICEPOOL_CONFIG is set but empty",
        ),
        (
            lab.command(&["plan", config, "--detailed-exitcode"])
                .env("DEVICEPOOL_LOG_FORMAT", "xml"),
            "note: DEVICEPOOL_LOG_FORMAT=\"xml\" is not text or json",
        ),
        (lab.command(&[]), "Usage: devicepool"),
    ];
    for (command, expected) in cases {
        let out = command.run();
        out.expect_code(1);
        assert!(out.stderr.contains(expected), "{expected}: {}", out.stderr);
    }
    assert!(lab.requests().is_empty(), "a request was sent");
    for args in [&["--help"][..], &["--version"], &["plan", "--help"]] {
        let out = devicepool(args).run();
        out.expect_code(0);
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}

#[test]
fn the_state_dir_is_private_and_the_lock_file_too() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    let state = lab.path(".devicepool");
    assert_eq!(mode(&state), 0o700, "state dir");
    assert_eq!(mode(&state.join("lock")), 0o600, "lock file");
    // A lock file left wider by an older version is narrowed.
    std::fs::set_permissions(state.join("lock"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = lab.run(&["apply", lab.config_arg()]);
    out.expect_code(0);
    assert_eq!(mode(&state.join("lock")), 0o600, "lock file");
    assert!(
        !out.stderr.contains("open to other users"),
        "{}",
        out.stderr
    );
    // A state dir that was already there, open to others, is left as it is but named.
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = lab.run(&["apply", lab.config_arg()]);
    out.expect_code(0);
    assert_eq!(mode(&state), 0o755, "an existing directory is not changed");
    assert!(
        out.stderr
            .contains("the state directory is open to other users; `chmod 700` it"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_holder_still_writing_its_record_is_named_not_unknown() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let state = lab.path(".devicepool");
    std::fs::create_dir_all(&state).unwrap();
    // Taken, record not written yet: the state between a holder's lock and its write.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .open(state.join("lock"))
        .unwrap();
    lock.try_lock().unwrap();
    let second = lab.command(&["apply", lab.config_arg()]).spawn();
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(
        state.join("lock"),
        "host testbox, pid 4242, since 2026-11-25T10:00:00Z\n",
    )
    .unwrap();
    let out = second.wait();
    out.expect_code(5);
    assert!(
        out.stderr
            .contains("host testbox, pid 4242, since 2026-11-25T10:00:00Z"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("unknown"), "{}", out.stderr);
    drop(lock);
}

#[test]
fn a_state_dir_that_is_a_file_gives_one_clear_error() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let file = lab.path("state-file");
    std::fs::write(&file, "not a directory\n").unwrap();
    for state_dir in ["../state-file", "../state-file/sub"] {
        let yaml = lab.config_yaml().replacen(
            "settings:\n",
            &format!("settings:\n  state_dir: {state_dir}\n"),
            1,
        );
        std::fs::write(&lab.config, yaml).unwrap();
        let out = lab.run(&["apply", lab.config_arg()]);
        out.expect_code(1);
        let expected = format!("{} is a file, not a directory", file.display());
        assert!(out.stderr.contains(&expected), "{}", out.stderr);
        assert!(out.stderr.contains("settings.state_dir"), "{}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    }
    assert!(lab.fleet.lambdatest.launches().is_empty());
}
