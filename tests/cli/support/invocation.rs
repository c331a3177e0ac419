//! Every run of the devicepool binary the tests make starts here: an `Invocation` is built,
//! then run to an `Outcome` or spawned as a `Running` child, and either way its stdout and
//! stderr pass the secret guard before a test sees them.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use super::{Outcome, secret_guard};

/// A devicepool command being prepared.
pub(crate) struct Invocation {
    command: Command,
    /// `devicepool <args>`, for failure messages.
    shown: String,
}

/// The devicepool binary under test (a fake CLI script may `exec` it, too).
pub(crate) fn binary() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("devicepool")
}

/// The binary with `args`, its log filter cleared (a test that wants logs sets it).
pub(crate) fn devicepool(args: &[&str]) -> Invocation {
    let mut command = Command::new(binary());
    command.env_remove("DEVICEPOOL_LOG");
    Invocation {
        command,
        shown: "devicepool".to_string(),
    }
    .args(args)
}

impl Invocation {
    pub(crate) fn args(mut self, args: &[&str]) -> Self {
        for arg in args {
            self.command.arg(arg);
            self.shown.push(' ');
            self.shown.push_str(arg);
        }
        self
    }

    pub(crate) fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    pub(crate) fn env_remove(mut self, key: &str) -> Self {
        self.command.env_remove(key);
        self
    }

    /// The same run from another copy of the binary at `program` (its arguments, environment
    /// and directory kept).
    pub(crate) fn program(mut self, program: &Path) -> Self {
        let mut command = Command::new(program);
        command.args(self.command.get_args());
        self.command = self.with_setup(command);
        self
    }

    /// `command` given this command's environment and directory.
    fn with_setup(&self, mut command: Command) -> Command {
        for (key, value) in self.command.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        if let Some(dir) = self.command.get_current_dir() {
            command.current_dir(dir);
        }
        command
    }

    pub(crate) fn current_dir(mut self, dir: &Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Runs to the end; panics if its output holds a secret.
    pub(crate) fn run(mut self) -> Outcome {
        let output = self.command.output().expect("binary runs");
        guarded(&self.shown, output)
    }

    /// Runs to the end under `script`, so its stdin, stdout and stderr are a terminal, with
    /// `typed` typed in. The terminal's output (both streams, as shown) lands in `stdout`.
    pub(crate) fn run_in_terminal(self, typed: &str) -> Outcome {
        let line = self.shell_line();
        let mut child = self.under_script(&line).spawn().expect("script runs");
        let mut stdin = child.stdin.take().expect("stdin");
        std::io::Write::write_all(&mut stdin, typed.as_bytes()).expect("typed in");
        drop(stdin);
        guarded(&self.shown, child.wait_with_output().expect("script ends"))
    }

    /// Starts as a background job (`… &`) of a shell with job control on a terminal, as an
    /// interactive shell runs it: in a process group that is not the terminal's foreground.
    /// The `Running` is the terminal (`script`); signal the job itself by its own pid.
    pub(crate) fn spawn_in_background_of_terminal(self) -> Running {
        let line = format!("set -m; {} & wait $!", self.shell_line());
        let child = self
            .under_script(&line)
            .env("SHELL", "/bin/bash")
            .spawn()
            .expect("script runs");
        Running {
            child: Some(child),
            shown: self.shown,
        }
    }

    /// The command as one shell line, every word quoted.
    fn shell_line(&self) -> String {
        let quote = |s: &OsStr| format!("'{}'", s.to_string_lossy().replace('\'', r"'\''"));
        let mut line = quote(self.command.get_program());
        for arg in self.command.get_args() {
            line.push(' ');
            line.push_str(&quote(arg));
        }
        line
    }

    /// `script` running `line` on a terminal of its own, with this command's environment and
    /// directory; stdin, stdout and stderr are pipes.
    fn under_script(&self, line: &str) -> Command {
        let mut script = Command::new("script");
        script.args(["--quiet", "--return", "--command", line, "/dev/null"]);
        let mut script = self.with_setup(script);
        script
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        script
    }

    /// Starts without waiting; the output is checked when the child is waited for or dropped.
    pub(crate) fn spawn(self) -> Running {
        self.start(Stdio::null())
    }

    /// [`Invocation::spawn`] with stdin a pipe the test holds until [`Running::close_stdin`]
    /// (or the wait).
    pub(crate) fn spawn_with_stdin(self) -> Running {
        self.start(Stdio::piped())
    }

    fn start(mut self, stdin: Stdio) -> Running {
        let child = self
            .command
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("binary starts");
        Running {
            child: Some(child),
            shown: self.shown,
        }
    }
}

/// A devicepool child still running.
pub(crate) struct Running {
    child: Option<Child>,
    shown: String,
}

impl Running {
    /// The child's process id.
    pub(crate) fn id(&self) -> u32 {
        self.child.as_ref().expect("not waited for yet").id()
    }

    /// Closes the child's stdin pipe (from [`Invocation::spawn_with_stdin`]).
    pub(crate) fn close_stdin(&mut self) {
        if let Some(child) = &mut self.child {
            drop(child.stdin.take());
        }
    }

    /// SIGTERM: the child may clean up and end on its own; wait for it.
    pub(crate) fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.id()).expect("a pid fits pid_t");
        // SAFETY: kill(2) only sends a signal, to our own child, not waited for yet (so its
        // pid cannot have been reused).
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill -TERM");
    }

    /// SIGKILL: no cleanup runs in the child.
    pub(crate) fn kill(&mut self) {
        if let Some(child) = &mut self.child {
            child.kill().expect("kill");
        }
    }

    /// Waits for the end; panics if its output holds a secret.
    pub(crate) fn wait(mut self) -> Outcome {
        let child = self.child.take().expect("not waited for yet");
        guarded(&self.shown, child.wait_with_output().expect("child ends"))
    }
}

/// What a waited-for child used: its wall time from [`Running::wait_measured`]'s call and the
/// peak resident set of it and every descendant it reaped (wait4 gives both as one).
pub(crate) struct Usage {
    pub(crate) wall: std::time::Duration,
    pub(crate) peak_rss_bytes: u64,
}

impl Running {
    /// [`Running::wait`], also measuring the process tree's peak RSS with wait4.
    #[expect(
        clippy::zombie_processes,
        reason = "the child is reaped by wait4, which also gives its peak RSS"
    )]
    pub(crate) fn wait_measured(mut self, started: std::time::Instant) -> (Outcome, Usage) {
        use std::io::Read;
        use std::os::unix::process::ExitStatusExt;
        let mut child = self.child.take().expect("not waited for yet");
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let stdout = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let stderr = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        drop(child.stdin.take());
        let pid = libc::pid_t::try_from(child.id()).expect("a pid fits pid_t");
        let mut status = 0;
        // SAFETY: `rusage` is plain data that wait4 fills.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: waits for our own child, not yet reaped, writing only into the two locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        assert_eq!(reaped, pid, "wait4");
        let wall = started.elapsed();
        let output = std::process::Output {
            status: std::process::ExitStatus::from_raw(status),
            stdout: stdout.join().expect("stdout read"),
            stderr: stderr.join().expect("stderr read"),
        };
        let usage = Usage {
            wall,
            // Linux gives ru_maxrss in KiB.
            peak_rss_bytes: u64::try_from(usage.ru_maxrss).unwrap_or(0) * 1024,
        };
        (guarded(&self.shown, output), usage)
    }
}

impl Drop for Running {
    /// A child never waited for is killed, and what it printed so far still checked.
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = child.kill();
        let output = child.wait_with_output();
        if let (Ok(output), false) = (output, std::thread::panicking()) {
            guarded(&self.shown, output);
        }
    }
}

/// Runs a checker the tests do not build (`promtool`) with `args` and `input` on its stdin;
/// `None` when it is not installed. CI (`CI` set) must have it: `.ci/run` installs it, so a
/// missing one fails there instead of passing unchecked.
pub(crate) fn external_tool(program: &str, args: &[&str], input: &str) -> Option<Outcome> {
    let spawned = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    match spawned {
        Ok(mut child) => {
            let mut stdin = child.stdin.take().expect("stdin");
            std::io::Write::write_all(&mut stdin, input.as_bytes()).expect("input written");
            drop(stdin);
            let output = child.wait_with_output().expect("checker ends");
            Some(guarded(&format!("{program} {}", args.join(" ")), output))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{program} is not installed; .ci/run installs it"
            );
            None
        }
        Err(e) => panic!("{program} does not run: {e}"),
    }
}

/// The outcome of a finished run, after its stdout and stderr passed the guard.
fn guarded(shown: &str, output: Output) -> Outcome {
    let outcome = Outcome {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let checks = [
        secret_guard::check(&format!("stdout of `{shown}`"), &outcome.stdout),
        secret_guard::check(&format!("stderr of `{shown}`"), &outcome.stderr),
    ];
    let leaks: Vec<String> = checks.into_iter().filter_map(Result::err).collect();
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
    outcome
}

#[test]
fn a_run_that_prints_a_secret_fails_naming_it_and_the_command() {
    // The binary echoes the path it cannot read: a secret in it must trip the guard.
    let path = format!("/nonexistent/{}.yaml", devicepool_sim::SIM_ACCESS_KEY);
    let run = std::panic::catch_unwind(|| devicepool(&["validate", &path]).run());
    let message = *run
        .expect_err("the guard panics")
        .downcast::<String>()
        .unwrap();
    assert!(
        message.contains("LambdaTest access key (sim-…)"),
        "{message}"
    );
    assert!(
        message.contains("of `devicepool validate /nonexistent/"),
        "{message}"
    );
}

#[test]
fn every_run_of_the_binary_in_the_tests_goes_through_here() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli");
    let this = root.join("support/invocation.rs");
    let ways_around = [
        "cargo_bin",
        "process::Command",
        "Command::new",
        "assert_cmd",
    ];
    for file in super::files_under(&root) {
        if file == this || file.extension() != Some(OsStr::new("rs")) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for way in ways_around {
            assert!(
                !text.contains(way),
                "{} uses {way}: run the binary through support::devicepool or a lab",
                file.display()
            );
        }
    }
}
