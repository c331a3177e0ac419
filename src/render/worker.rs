//! The render worker: the devicepool binary re-run as `devicepool __render-worker`, which
//! renders one request per line of its standard input under an address-space limit and
//! answers one line each. It reads templates only; it never reads an API or writes a file.

use std::io::{self, BufRead, Write};
use std::path::PathBuf;

use minijinja::{Environment, value::Value};
use serde::{Deserialize, Serialize};

use super::engine;

/// The first argument that turns the binary into a render worker. Not a verb: it is checked
/// before the command line is parsed and is never listed.
pub(super) const WORKER_ARG: &str = "__render-worker";

/// Address space a render worker may map, in bytes: a template that would build a larger
/// value stops the worker, never the run. The shipped templates need about 10 MiB. 128 MiB keeps
/// devicepool and its worker together under 200 MB of resident memory (a resident page is a
/// mapped one, so the worker never holds more than this), which a 256 MiB pod limit fits.
pub const MAX_RENDER_MEMORY: u64 = 128 * 1024 * 1024;

/// Processor time one worker may use, in seconds, over all its renders: only reached by a
/// worker left spinning on a hostile render after its parent died (the parent stops a render
/// after [`super::RENDER_DEADLINE`] of processor time).
pub const MAX_WORKER_CPU_SECONDS: u64 = 600;

/// One render: the template directory, the template and its context.
#[derive(Serialize, Deserialize)]
pub(super) struct Request {
    pub(super) dir: Option<PathBuf>,
    pub(super) name: String,
    pub(super) ctx: serde_json::Value,
}

/// What one render gave: the file, or why there is none; or, once, that the worker has set
/// its limits and is ready.
#[derive(Serialize, Deserialize)]
pub(super) enum Reply {
    Ready,
    Rendered(String),
    Failed(String),
}

/// Serves render requests and returns the exit code when the binary was started as a
/// render worker; `None` (and nothing done) otherwise.
pub fn serve_if_asked() -> Option<std::process::ExitCode> {
    if std::env::args_os().nth(1).as_deref() != Some(WORKER_ARG.as_ref()) {
        return None;
    }
    if let Err(e) = limit_resources() {
        eprintln!("devicepool: render worker cannot limit its resources: {e}");
        return Some(std::process::ExitCode::FAILURE);
    }
    choose_me_for_oom_kill();
    Some(match serve(io::stdin().lock(), io::stdout().lock()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(_) => std::process::ExitCode::FAILURE,
    })
}

/// Answers every request line of `input` with a reply line on `output`, until `input` ends.
/// The environment is built once per template directory.
pub(super) fn serve(input: impl BufRead, mut output: impl Write) -> io::Result<()> {
    serde_json::to_writer(&mut output, &Reply::Ready)?;
    output.write_all(b"\n")?;
    output.flush()?;
    let mut env: Option<(Option<PathBuf>, Environment<'static>)> = None;
    for line in input.lines() {
        let reply = match serde_json::from_str::<Request>(&line?) {
            Ok(request) => {
                let same_dir = matches!(&env, Some((dir, _)) if *dir == request.dir);
                if !same_dir {
                    let built = engine::environment(request.dir.clone());
                    env = Some((request.dir, built));
                }
                let (_, env) = env.as_ref().expect("built just above");
                let ctx = Value::from(minijinja::value::Serde(&request.ctx));
                match engine::render_bounded(env, &request.name, ctx) {
                    Ok(text) => Reply::Rendered(text),
                    Err(why) => Reply::Failed(why),
                }
            }
            Err(e) => Reply::Failed(format!("render request unreadable: {e}")),
        };
        serde_json::to_writer(&mut output, &reply)?;
        output.write_all(b"\n")?;
        output.flush()?;
    }
    Ok(())
}

/// Makes this process the first the kernel's OOM killer picks (its own cgroup's included),
/// so a render that exhausts the memory of a container kills the worker, not devicepool.
/// Best effort: without /proc nothing changes.
fn choose_me_for_oom_kill() {
    let _ = std::fs::write("/proc/self/oom_score_adj", "1000");
}

/// Caps this process's address space (an allocation past it aborts the worker) and
/// processor time, and turns off core files, so a stopped worker leaves nothing behind.
fn limit_resources() -> io::Result<()> {
    let limits = [
        (libc::RLIMIT_AS, MAX_RENDER_MEMORY as libc::rlim_t),
        (libc::RLIMIT_CPU, MAX_WORKER_CPU_SECONDS as libc::rlim_t),
        (libc::RLIMIT_CORE, 0),
    ];
    for (resource, value) in limits {
        let limit = libc::rlimit {
            rlim_cur: value,
            rlim_max: value,
        };
        // SAFETY: `setrlimit` reads the struct it is given and changes only this process.
        if unsafe { libc::setrlimit(resource, &limit) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "worker_tests.rs"]
mod tests;
