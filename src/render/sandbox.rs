//! Renders in a render worker (see `render/worker.rs`) so that a template that would
//! exhaust memory, overflow the stack or run without end fails its own render and nothing
//! else: the worker is stopped (by its address-space limit or by the deadline here) and the
//! next render starts a fresh one. Starts, kills and reaps only its own worker.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use minijinja::value::Value;

use super::worker::{MAX_RENDER_MEMORY, MAX_WORKER_CPU_SECONDS, Reply, Request, WORKER_ARG};

/// Processor time one render may take in the worker: the shipped templates render in about
/// a millisecond, fuel stops loops long before this; it bounds a single filter call that
/// works over an enormous value (sorting or comparing one, say). Judged by the worker's own
/// processor time, so a loaded machine that starves the worker does not fail a render.
pub const RENDER_DEADLINE: Duration = Duration::from_secs(2);

/// Wall-clock time one render may take however little processor time it used: a worker
/// starved or stopped for this long is given up on.
pub const RENDER_WALL_CAP: Duration = Duration::from_secs(10);

/// Wall-clock time all the renders of one run may take together (starting workers
/// included): past it, every pool still to render is held. A template that takes nearly the
/// deadline on every render costs at most this much of a run.
pub const RENDER_BUDGET: Duration = Duration::from_secs(60);

/// Wall-clock time a worker may take to start and say it is ready (outside any render's
/// deadline: starting a process on a loaded machine may be slow).
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a worker that closed its output is given to end by itself before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// The time bounds a [`Sandbox`] renders under.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    /// Worker processor time per render.
    pub(super) deadline: Duration,
    /// Wall-clock time per render.
    pub(super) wall_cap: Duration,
    /// Wall-clock time of all renders (and worker starts) together.
    pub(super) budget: Duration,
}

impl Bounds {
    /// The bounds every run renders under.
    pub(super) const RUN: Bounds = Bounds {
        deadline: RENDER_DEADLINE,
        wall_cap: RENDER_WALL_CAP,
        budget: RENDER_BUDGET,
    };
}

/// The program run as render worker, once the binary has named itself (see [`render_in_workers`]).
static WORKER_PROGRAM: OnceLock<PathBuf> = OnceLock::new();

/// Makes every later [`super::Templates`] render in workers run from `program` (the
/// devicepool binary itself). A library user that never calls this renders in-process.
pub fn render_in_workers(program: PathBuf) {
    let _ = WORKER_PROGRAM.set(program);
}

/// The command that starts a worker, if renders go to workers.
pub(super) fn worker_command() -> Option<Command> {
    let program = WORKER_PROGRAM.get()?;
    let mut command = Command::new(program);
    command.arg(WORKER_ARG);
    Some(command)
}

/// Hands renders to one worker at a time, starting a new one after a failure.
pub(super) struct Sandbox {
    state: Mutex<State>,
    bounds: Bounds,
}

/// How to start a worker, the one running, and the render time spent so far.
struct State {
    command: Command,
    worker: Option<Worker>,
    spent: Duration,
}

/// A running worker: its process, its requests and its reply lines.
struct Worker {
    child: Child,
    requests: ChildStdin,
    replies: Receiver<String>,
}

impl Sandbox {
    pub(super) fn new(command: Command, bounds: Bounds) -> Self {
        Self {
            state: Mutex::new(State {
                command,
                worker: None,
                spent: Duration::ZERO,
            }),
            bounds,
        }
    }

    /// Renders `name` with `ctx` from `dir` in the worker; a worker that dies or passes the
    /// deadline is gone and its render fails with the reason.
    pub(super) fn render(
        &self,
        dir: Option<PathBuf>,
        name: &str,
        ctx: Value,
    ) -> Result<String, String> {
        let request = Request {
            dir,
            name: name.to_string(),
            ctx: serde_json::to_value(&ctx)
                .map_err(|e| format!("context not serialisable: {e}"))?,
        };
        let mut line = serde_json::to_string(&request).expect("a JSON value serialises");
        line.push('\n');
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.spent >= self.bounds.budget {
            return Err(format!(
                "render budget exhausted ({} s of rendering in this run)",
                self.bounds.budget.as_secs_f32()
            ));
        }
        let started = Instant::now();
        let result = self.render_line(&mut state, &line);
        state.spent += started.elapsed();
        result
    }

    /// Sends one request line to the worker (started if none runs) and waits for its reply
    /// within the bounds; a worker that dies or passes them is stopped.
    fn render_line(&self, state: &mut State, line: &str) -> Result<String, String> {
        let State {
            command, worker, ..
        } = state;
        let running = match worker {
            Some(running) => running,
            None => worker.insert(Worker::start(command)?),
        };
        let answer = match running.requests.write_all(line.as_bytes()) {
            Ok(()) => running.await_reply(&self.bounds),
            Err(_) => Err(None),
        };
        // Past here the worker is stopped; `None`: it stopped by itself, and says why.
        let failure = match answer {
            Ok(reply) => match serde_json::from_str::<Reply>(&reply) {
                Ok(Reply::Rendered(text)) => return Ok(text),
                Ok(Reply::Failed(why)) => return Err(why),
                Ok(Reply::Ready) | Err(_) => {
                    Some("the render worker answered nonsense".to_string())
                }
            },
            Err(why) => why,
        };
        let stopped = worker.take().expect("a worker was running").stop();
        Err(failure.unwrap_or(stopped))
    }
}

impl Worker {
    fn start(command: &mut Command) -> Result<Self, String> {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the render worker: {e}"))?;
        let stdout = child.stdout.take().expect("piped");
        let requests = child.stdin.take().expect("piped");
        let (send, replies) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let worker = Self {
            child,
            requests,
            replies,
        };
        // The worker says it is ready once its limits are set: its start is not timed
        // against a render.
        match worker.replies.recv_timeout(START_TIMEOUT) {
            Ok(line) if matches!(serde_json::from_str(&line), Ok(Reply::Ready)) => Ok(worker),
            // Something else than the ready reply: stopped here, so how it ended says nothing.
            Ok(_) => {
                worker.stop();
                Err(
                    "the render worker did not start: its first line was not the ready reply"
                        .into(),
                )
            }
            Err(RecvTimeoutError::Timeout) => {
                worker.stop();
                Err(format!(
                    "the render worker did not start within {} s",
                    START_TIMEOUT.as_secs()
                ))
            }
            // It closed its output: given a moment to end on its own, so the reason is its own
            // exit and not the kill that follows a worker that lingers.
            Err(RecvTimeoutError::Disconnected) => Err(format!(
                "the render worker did not start: {}",
                worker.stop_within(EXIT_GRACE)
            )),
        }
    }

    /// The reply line to the request just sent. The render may use [`Bounds::deadline`] of
    /// the worker's processor time and [`Bounds::wall_cap`] of wall-clock time; past either
    /// (`Err(Some(why))`) or when the worker ended (`Err(None)`), there is none.
    fn await_reply(&self, bounds: &Bounds) -> Result<String, Option<String>> {
        let started = Instant::now();
        let cpu_before = cpu_time(self.child.id());
        let mut wait = bounds.deadline.min(bounds.wall_cap);
        loop {
            match self.replies.recv_timeout(wait) {
                Ok(reply) => return Ok(reply),
                Err(RecvTimeoutError::Disconnected) => return Err(None),
                Err(RecvTimeoutError::Timeout) => {}
            }
            let wall = started.elapsed();
            // Without /proc, wall-clock time stands in for processor time.
            let used = match (cpu_before, cpu_time(self.child.id())) {
                (Some(before), Some(now)) => now.saturating_sub(before),
                _ => wall,
            };
            if used >= bounds.deadline {
                return Err(Some(format!(
                    "rendering took more than {} s and was stopped",
                    bounds.deadline.as_secs_f32()
                )));
            }
            if wall >= bounds.wall_cap {
                return Err(Some(format!(
                    "rendering took more than {} s of wall-clock time (with {:.1} s of processor time) and was stopped",
                    bounds.wall_cap.as_secs_f32(),
                    used.as_secs_f32()
                )));
            }
            wait = (bounds.deadline - used)
                .min(bounds.wall_cap - wall)
                .max(Duration::from_millis(10));
        }
    }

    /// Kills and reaps the worker; says why it stopped if it stopped by itself.
    fn stop(self) -> String {
        self.stop_within(Duration::ZERO)
    }

    /// Stops the worker once it has ended by itself or `grace` has passed, and says why it
    /// stopped.
    fn stop_within(mut self, grace: Duration) -> String {
        let until = Instant::now() + grace;
        while Instant::now() < until && matches!(self.child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let status = self.child.wait();
        let mut said = String::new();
        if let Some(stderr) = self.child.stderr.take() {
            let _ = stderr.take(4096).read_to_string(&mut said);
        }
        stop_reason(status.ok().and_then(|s| s.signal()), &said)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(worker) = state.worker.take() {
            worker.stop();
        }
    }
}

/// The processor time (user and system) process `pid` has used, from `/proc/<pid>/stat`;
/// `None` where there is no /proc.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold anything;
    // utime and stime are fields 14 and 15, the 12th and 13th after it.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // SAFETY: sysconf only reads a system constant.
    let per_second = u64::try_from(unsafe { libc::sysconf(libc::_SC_CLK_TCK) }).ok()?;
    (per_second > 0).then(|| Duration::from_millis(ticks * 1000 / per_second))
}

/// Why a worker stopped, from the signal that ended it and what it wrote to stderr (which is
/// never repeated: it could quote the template's values).
fn stop_reason(signal: Option<i32>, stderr: &str) -> String {
    let mib = MAX_RENDER_MEMORY / (1024 * 1024);
    if stderr.contains("memory allocation") {
        format!("rendering needed more than {mib} MiB of memory and was stopped")
    } else if stderr.contains("overflowed its stack") {
        "rendering nested too deeply (stack overflow) and was stopped".to_string()
    } else {
        match signal {
            Some(libc::SIGXCPU) => format!(
                "the render worker used its {MAX_WORKER_CPU_SECONDS} s of processor time and was stopped"
            ),
            Some(signal) => format!("the render worker stopped with signal {signal}"),
            None => "the render worker stopped".to_string(),
        }
    }
}

#[cfg(test)]
#[path = "sandbox_tests.rs"]
mod tests;
