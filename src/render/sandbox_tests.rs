//! Unit tests of `render/sandbox.rs`, with shell scripts standing in for the worker.

use super::*;

fn sandbox(script: &str, deadline: Duration) -> Sandbox {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    Sandbox::new(command, deadline)
}

fn render(sandbox: &Sandbox) -> Result<String, String> {
    sandbox.render(None, "t.j2", minijinja::context! { udid => "R5CX" })
}

#[test]
fn a_reply_line_is_the_render() {
    let worker = sandbox(
        r#"while read line; do echo '{"Rendered":"ok"}'; done"#,
        Duration::from_secs(30),
    );
    assert_eq!(render(&worker).unwrap(), "ok");
    assert_eq!(render(&worker).unwrap(), "ok");
}

#[test]
fn a_worker_that_runs_out_of_memory_fails_its_render_and_the_next_starts_afresh() {
    let counter = tempfile::NamedTempFile::new().unwrap();
    let script = format!(
        "echo started >> {}; read line; echo 'memory allocation of 4294967296 bytes failed' >&2; kill -ABRT $$",
        counter.path().display()
    );
    let worker = sandbox(&script, Duration::from_secs(30));
    for _ in 0..2 {
        let why = render(&worker).unwrap_err();
        assert_eq!(
            why,
            "rendering needed more than 192 MiB of memory and was stopped"
        );
    }
    let starts = std::fs::read_to_string(counter.path()).unwrap();
    assert_eq!(starts.lines().count(), 2, "{starts}");
}

#[test]
fn a_worker_past_the_deadline_is_stopped() {
    let worker = sandbox("read line; exec sleep 30", Duration::from_millis(200));
    let started = std::time::Instant::now();
    let why = render(&worker).unwrap_err();
    assert_eq!(why, "rendering took more than 0.2 s and was stopped");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_worker_that_cannot_start_fails_the_render() {
    let worker = Sandbox::new(
        Command::new("/nonexistent/devicepool"),
        Duration::from_secs(1),
    );
    let why = render(&worker).unwrap_err();
    assert!(why.starts_with("cannot start the render worker"), "{why}");
}

#[test]
fn a_crash_is_named_by_its_signal() {
    let worker = sandbox("read line; kill -SEGV $$", Duration::from_secs(30));
    assert_eq!(
        render(&worker).unwrap_err(),
        "the render worker stopped with signal 11"
    );
    let worker = sandbox("read line; kill -XCPU $$", Duration::from_secs(30));
    assert_eq!(
        render(&worker).unwrap_err(),
        "the render worker used its 600 s of processor time and was stopped"
    );
}
