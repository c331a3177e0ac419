//! Unit tests of `lock/mod.rs`.

use super::*;

#[test]
fn a_second_lock_is_refused_and_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let held = RunLock::acquire(dir.path()).unwrap();
    let busy = RunLock::acquire(dir.path()).unwrap_err().to_string();
    assert!(
        busy.contains(&format!("pid {}", std::process::id())),
        "{busy}"
    );
    drop(held);
    // Another test thread forking a child at that moment holds a copy of the locked file
    // until the child execs (close-on-exec acts only then): allow for that instant.
    let freed = (0..100).any(|_| {
        let free = RunLock::acquire(dir.path()).is_ok();
        if !free {
            std::thread::sleep(Duration::from_millis(10));
        }
        free
    });
    assert!(freed, "the lock is free once its holder is gone");
}

#[test]
fn the_busy_message_shows_an_absolute_path() {
    let dir = tempfile::tempdir().unwrap();
    let _held = RunLock::acquire(dir.path()).unwrap();
    // `<dir>/sub/..` is `<dir>`, written the long way round.
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let roundabout = dir.path().join("sub").join("..");
    let Err(LockError::Busy { path, .. }) = RunLock::acquire(&roundabout) else {
        panic!("the lock is held");
    };
    let expected = std::fs::canonicalize(dir.path()).unwrap().join("lock");
    assert_eq!(path, expected.display().to_string());
    assert!(Path::new(&path).is_absolute());
    assert_eq!(
        shown_path(Path::new("state/lock")),
        std::env::current_dir()
            .unwrap()
            .join("state/lock")
            .display()
            .to_string()
    );
}

#[test]
fn a_holder_that_exited_is_told_apart_from_a_running_one() {
    let note = "host box1, pid 4242, since 2026-11-25T10:00:00Z";
    let exited = describe_holder(note, "box1", |_| false);
    assert!(
        exited.ends_with("pid 4242 has exited; a job it launched still holds the lock"),
        "{exited}"
    );
    assert!(exited.starts_with(note), "{exited}");
    assert_eq!(describe_holder(note, "box1", |_| true), note);
    assert_eq!(
        describe_holder(note, "box2", |_| false),
        note,
        "a pid of another host is not looked up"
    );
    assert!(describe_holder("", "box1", |_| false).contains("has not written its record"));
    assert_eq!(describe_holder("garbled", "box1", |_| false), "garbled");
}

#[test]
fn a_lock_kept_by_a_launched_job_names_its_exited_launcher() {
    let dir = tempfile::tempdir().unwrap();
    let held = RunLock::acquire(dir.path()).unwrap();
    let mut gone = std::process::Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(
        dir.path().join("lock"),
        format!(
            "host {}, pid {pid}, since 2026-11-25T10:00:00Z\n",
            this_host()
        ),
    )
    .unwrap();
    let busy = RunLock::acquire(dir.path()).unwrap_err().to_string();
    assert!(
        busy.contains(&format!(
            "pid {pid} has exited; a job it launched still holds the lock"
        )),
        "{busy}"
    );
    drop(held);
}

#[test]
fn the_wait_after_a_killed_run_is_what_is_left_of_the_timeout() {
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
    let timeout = Duration::from_secs(30);
    assert_eq!(
        remaining(t, t + Duration::from_secs(12), timeout),
        Duration::from_secs(18)
    );
    assert_eq!(
        remaining(t, t + Duration::from_secs(31), timeout),
        Duration::ZERO
    );
    assert_eq!(remaining(t + Duration::from_secs(5), t, timeout), timeout);
}

#[test]
fn a_trace_left_behind_is_waited_out_and_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let lock = RunLock::acquire(dir.path()).unwrap();
    assert_eq!(
        lock.settle(Duration::from_secs(30)).unwrap(),
        Duration::ZERO,
        "no trace, no wait"
    );
    let trace = dir.path().join("sending");
    lock.send_log().note().unwrap();
    assert!(
        std::fs::read_to_string(&trace)
            .unwrap()
            .contains("sent a request at")
    );
    // Sent an hour ago: long landed.
    let old = SystemTime::now() - Duration::from_secs(3600);
    File::options()
        .write(true)
        .open(&trace)
        .unwrap()
        .set_modified(old)
        .unwrap();
    assert_eq!(
        lock.settle(Duration::from_secs(30)).unwrap(),
        Duration::ZERO
    );
    assert!(!trace.exists(), "the trace is cleared");
    // Sent "in the future" (the clock jumped back): the whole timeout is waited.
    lock.send_log().note().unwrap();
    let future = SystemTime::now() + Duration::from_secs(3600);
    File::options()
        .write(true)
        .open(&trace)
        .unwrap()
        .set_modified(future)
        .unwrap();
    assert_eq!(
        lock.settle(Duration::from_millis(20)).unwrap(),
        Duration::from_millis(20)
    );
    lock.send_log().note().unwrap();
    lock.send_log().finish();
    assert!(!trace.exists());
}
