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
use std::time::Duration;

use minijinja::value::Value;

use super::worker::{MAX_RENDER_MEMORY, MAX_WORKER_CPU_SECONDS, Reply, Request, WORKER_ARG};

/// Longest one render may take in the worker: the shipped templates render in about a
/// millisecond, fuel stops loops long before this; it bounds a single filter call that works
/// over an enormous value (sorting or comparing one, say).
pub const RENDER_DEADLINE: Duration = Duration::from_secs(2);

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
    command: Mutex<(Command, Option<Worker>)>,
    deadline: Duration,
}

/// A running worker: its process, its requests and its reply lines.
struct Worker {
    child: Child,
    requests: ChildStdin,
    replies: Receiver<String>,
}

impl Sandbox {
    pub(super) fn new(command: Command, deadline: Duration) -> Self {
        Self {
            command: Mutex::new((command, None)),
            deadline,
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
        let mut guard = self.command.lock().unwrap_or_else(|e| e.into_inner());
        let (command, slot) = &mut *guard;
        let worker = match slot {
            Some(worker) => worker,
            None => slot.insert(Worker::start(command)?),
        };
        let sent = worker.requests.write_all(line.as_bytes());
        let answer = match sent {
            Ok(()) => worker.replies.recv_timeout(self.deadline),
            Err(_) => Err(RecvTimeoutError::Disconnected),
        };
        // Past here the worker is stopped; `None`: it stopped by itself, and says why.
        let failure = match answer {
            Ok(reply) => match serde_json::from_str::<Reply>(&reply) {
                Ok(Reply::Rendered(text)) => return Ok(text),
                Ok(Reply::Failed(why)) => return Err(why),
                Err(e) => Some(format!("the render worker answered nonsense ({e})")),
            },
            Err(RecvTimeoutError::Timeout) => Some(format!(
                "rendering took more than {} s and was stopped",
                self.deadline.as_secs_f32()
            )),
            Err(RecvTimeoutError::Disconnected) => None,
        };
        let stopped = slot.take().expect("a worker was running").stop();
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
        Ok(Self {
            child,
            requests,
            replies,
        })
    }

    /// Kills and reaps the worker; says why it stopped if it stopped by itself.
    fn stop(mut self) -> String {
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
        let slot = &mut self.command.get_mut().unwrap_or_else(|e| e.into_inner()).1;
        if let Some(worker) = slot.take() {
            worker.stop();
        }
    }
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
