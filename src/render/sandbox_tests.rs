//! Unit tests of `render/sandbox.rs`, with shell scripts standing in for the worker.

use super::*;

/// A worker that says it is ready, then runs `script`.
fn sandbox(script: &str, bounds: Bounds) -> Sandbox {
    let mut command = Command::new("sh");
    command.args(["-c", &format!("echo '\"Ready\"'; {script}")]);
    Sandbox::new(command, bounds)
}

/// A processor-time deadline of `deadline`, and generous wall-clock bounds.
fn within(deadline: Duration) -> Bounds {
    Bounds {
        deadline,
        wall_cap: Duration::from_secs(60),
        budget: Duration::from_secs(3600),
    }
}

fn render(sandbox: &Sandbox) -> Result<String, String> {
    sandbox.render(None, "t.j2", minijinja::context! { udid => "R5CX" })
}

/// Appends a line to `counter` each time the script starts.
fn counting(counter: &tempfile::NamedTempFile, script: &str) -> String {
    format!("echo started >> {}; {script}", counter.path().display())
}

fn starts(counter: &tempfile::NamedTempFile) -> usize {
    std::fs::read_to_string(counter.path())
        .unwrap()
        .lines()
        .count()
}

#[test]
fn a_reply_line_is_the_render_and_one_worker_serves_every_render() {
    let counter = tempfile::NamedTempFile::new().unwrap();
    let script = counting(
        &counter,
        r#"while read line; do echo '{"Rendered":"ok"}'; done"#,
    );
    let worker = sandbox(&script, within(Duration::from_secs(30)));
    for _ in 0..5 {
        assert_eq!(render(&worker).unwrap(), "ok");
    }
    assert_eq!(starts(&counter), 1, "one worker for every render of a run");
}

#[test]
fn a_worker_that_runs_out_of_memory_fails_its_render_and_the_next_starts_afresh() {
    let counter = tempfile::NamedTempFile::new().unwrap();
    let script = counting(
        &counter,
        "read line; echo 'memory allocation of 4294967296 bytes failed' >&2; kill -ABRT $$",
    );
    let worker = sandbox(&script, within(Duration::from_secs(30)));
    for _ in 0..2 {
        let why = render(&worker).unwrap_err();
        assert_eq!(
            why,
            "rendering needed more than 128 MiB of memory and was stopped"
        );
    }
    assert_eq!(starts(&counter), 2);
}

#[test]
fn a_worker_busy_past_the_deadline_is_stopped() {
    let worker = sandbox(
        "read line; while :; do :; done",
        within(Duration::from_millis(200)),
    );
    let started = Instant::now();
    let why = render(&worker).unwrap_err();
    assert_eq!(why, "rendering took more than 0.2 s and was stopped");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_slow_start_and_an_idle_wait_do_not_count_against_the_deadline() {
    // The worker takes 0.5 s to be ready and 0.5 s (sleeping, not busy) to answer: neither is
    // processor time of the render, so a 0.2 s deadline holds.
    let mut command = Command::new("sh");
    command.args([
        "-c",
        r#"sleep 0.5; echo '"Ready"'; while read line; do sleep 0.5; echo '{"Rendered":"ok"}'; done"#,
    ]);
    let worker = Sandbox::new(command, within(Duration::from_millis(200)));
    assert_eq!(render(&worker).unwrap(), "ok");
}

#[test]
fn a_worker_stalled_past_the_wall_cap_is_stopped() {
    let bounds = Bounds {
        wall_cap: Duration::from_millis(300),
        ..within(Duration::from_secs(30))
    };
    let worker = sandbox("read line; exec sleep 30", bounds);
    let started = Instant::now();
    let why = render(&worker).unwrap_err();
    assert!(
        why.starts_with("rendering took more than 0.3 s of wall-clock time"),
        "{why}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn past_the_run_budget_every_render_fails_without_starting_a_worker() {
    let counter = tempfile::NamedTempFile::new().unwrap();
    let script = counting(
        &counter,
        r#"while read line; do sleep 1; echo '{"Rendered":"ok"}'; done"#,
    );
    // The first render (its worker's start included) may take up to 0.9 s more than its
    // sleep on a loaded machine and still leave room for the second.
    let bounds = Bounds {
        budget: Duration::from_millis(1900),
        ..within(Duration::from_secs(30))
    };
    let worker = sandbox(&script, bounds);
    assert_eq!(render(&worker).unwrap(), "ok");
    assert_eq!(render(&worker).unwrap(), "ok");
    for _ in 0..3 {
        assert_eq!(
            render(&worker).unwrap_err(),
            "render budget exhausted (1.9 s of rendering in this run)"
        );
    }
    assert_eq!(starts(&counter), 1);
}

#[test]
fn a_worker_that_cannot_start_fails_the_render() {
    let worker = Sandbox::new(
        Command::new("/nonexistent/devicepool"),
        within(Duration::from_secs(1)),
    );
    let why = render(&worker).unwrap_err();
    assert!(why.starts_with("cannot start the render worker"), "{why}");
    let mut nonsense = Command::new("sh");
    nonsense.args(["-c", "echo nonsense; sleep 5"]);
    let why = render(&Sandbox::new(nonsense, within(Duration::from_secs(1)))).unwrap_err();
    assert_eq!(
        why,
        "the render worker did not start: its first line was not the ready reply"
    );
    // One that ends without a word is reported by how it ended, not by the kill that a
    // lingering worker would get.
    let mut silent = Command::new("sh");
    silent.args(["-c", "exit 3"]);
    let why = render(&Sandbox::new(silent, within(Duration::from_secs(1)))).unwrap_err();
    assert_eq!(
        why,
        "the render worker did not start: the render worker stopped"
    );
}

#[test]
fn a_crash_is_named_by_its_signal() {
    let worker = sandbox("read line; kill -SEGV $$", within(Duration::from_secs(30)));
    assert_eq!(
        render(&worker).unwrap_err(),
        "the render worker stopped with signal 11"
    );
    let worker = sandbox("read line; kill -XCPU $$", within(Duration::from_secs(30)));
    assert_eq!(
        render(&worker).unwrap_err(),
        "the render worker used its 600 s of processor time and was stopped"
    );
}

#[test]
fn processor_time_is_read_from_proc() {
    let mine = cpu_time(std::process::id()).expect("Linux has /proc");
    let spin = Instant::now();
    while spin.elapsed() < Duration::from_millis(300) {
        std::hint::black_box(0);
    }
    let later = cpu_time(std::process::id()).unwrap();
    assert!(later > mine, "{mine:?} then {later:?}");
}
