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

/// GNU time (Debian's `time` package), for peak memory: [`Invocation::measured`].
const GNU_TIME: &str = "/usr/bin/time";

/// The peak resident set GNU time wrote to `report`, in bytes (its last line, in KiB; a
/// line before it says when the command exited non-zero).
pub(crate) fn peak_rss_bytes(report: &Path) -> u64 {
    let text = std::fs::read_to_string(report).expect("GNU time's report");
    let kib: u64 = text
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in GNU time's report: {text:?}"));
    kib * 1024
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

    /// The same run under GNU time, which writes the peak resident set of devicepool and of
    /// every child it reaped (its render worker), in KiB, to `report` (read it with
    /// [`peak_rss_bytes`]). wait4 from this test process cannot tell it: a child's peak starts
    /// from the high-water mark of the process it was spawned from (this test binary, often
    /// past 200 MB in a full run), which the kernel carries across exec. `None` when GNU time
    /// is not installed; under CI (`.ci/run` installs it) a missing one fails.
    pub(crate) fn measured(mut self, report: &Path) -> Option<Self> {
        if !Path::new(GNU_TIME).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{GNU_TIME} is missing: .ci/run installs Debian's time package"
            );
            println!("{GNU_TIME} is not installed: peak memory not measured");
            return None;
        }
        let mut command = Command::new(GNU_TIME);
        command
            .args(["-f", "%M", "-o"])
            .arg(report)
            .arg(self.command.get_program())
            .args(self.command.get_args());
        self.command = self.with_setup(command);
        Some(self)
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
