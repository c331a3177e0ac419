//! How a served fleet learns to stop: SIGTERM, SIGINT, end of input on stdin (when stdin is a
//! pipe, or a terminal it is in the foreground of) or a time limit. A background job never
//! reads its terminal, so the shell never stops it ("Stopped (tty input)"). It only waits; it starts and stops no fake, and it
//! installs no signal handler (the signals are blocked and taken with `sigwait` on a thread of
//! its own, so no code runs in signal context).

use std::os::unix::fs::FileTypeExt as _;
use std::sync::mpsc;
use std::time::Duration;

/// Why the wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// SIGTERM or SIGINT, by name.
    Signal(&'static str),
    /// Stdin (a pipe or a terminal) reached end of input.
    StdinClosed,
    /// The time limit passed.
    TimeUp,
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Signal(name) => f.write_str(name),
            Stop::StdinClosed => f.write_str("stdin closed"),
            Stop::TimeUp => f.write_str("time limit reached"),
        }
    }
}

/// The stop conditions being watched. Arm it before starting the fleet: the signals are
/// blocked in the calling thread, and so in every thread started after it.
pub struct Shutdown {
    stops: mpsc::Receiver<Stop>,
}

impl Shutdown {
    /// Blocks SIGTERM and SIGINT and waits for them on a thread; when stdin is a pipe or a
    /// terminal this process is in the foreground of, also waits for its end on another
    /// (stdin at `/dev/null` or a file, as a service has it, is not watched: it would stop at
    /// once; nor is the terminal of a background job, `sim serve … &`). A job sent to the
    /// background later (Ctrl-Z, `bg`) stops watching its terminal rather than being stopped.
    pub fn arm() -> std::io::Result<Shutdown> {
        let (tx, stops) = mpsc::channel();
        let set = block_signals()?;
        let on_signal = tx.clone();
        std::thread::Builder::new()
            .name("sim-signals".into())
            .spawn(move || {
                let _ = on_signal.send(Stop::Signal(wait_for_signal(&set)));
            })?;
        if watches_stdin() {
            ignore_terminal_reads_from_the_background();
            std::thread::Builder::new()
                .name("sim-stdin".into())
                .spawn(move || {
                    // A read from the background fails (EIO) instead: not an end of input.
                    if std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink()).is_ok() {
                        let _ = tx.send(Stop::StdinClosed);
                    }
                })?;
        }
        Ok(Shutdown { stops })
    }

    /// Waits for the first stop condition, or `limit`.
    pub fn wait(self, limit: Option<Duration>) -> Stop {
        first_stop(&self.stops, limit)
    }
}

/// The first stop sent on `stops`, or [`Stop::TimeUp`] after `limit` (or when no watcher is
/// left to send one, which cannot happen while the signal thread waits).
fn first_stop(stops: &mpsc::Receiver<Stop>, limit: Option<Duration>) -> Stop {
    match limit {
        Some(limit) => stops.recv_timeout(limit).unwrap_or(Stop::TimeUp),
        None => stops.recv().unwrap_or(Stop::TimeUp),
    }
}

/// Whether stdin's end means "stop": a pipe (a parent holding it) or a terminal (Ctrl-D)
/// whose foreground this process is in.
fn watches_stdin() -> bool {
    use std::io::IsTerminal as _;
    use std::os::fd::AsFd as _;
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return in_foreground_of_stdin();
    }
    stdin
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|file| file.metadata())
        .is_ok_and(|meta| meta.file_type().is_fifo())
}

/// Whether this process's group is the foreground group of the terminal on stdin: only then
/// may it read the terminal without being stopped.
fn in_foreground_of_stdin() -> bool {
    // SAFETY: both calls take plain integers (or nothing) and touch no memory of ours.
    let (foreground, own) = unsafe { (libc::tcgetpgrp(libc::STDIN_FILENO), libc::getpgrp()) };
    foreground == own
}

/// Makes a read of the terminal from the background fail with EIO instead of stopping the
/// whole process with SIGTTIN (as when the job is put in the background after it started).
fn ignore_terminal_reads_from_the_background() {
    // SAFETY: SIG_IGN installs no handler: no code of ours ever runs in signal context.
    unsafe {
        libc::signal(libc::SIGTTIN, libc::SIG_IGN);
    }
}

/// Blocks SIGTERM and SIGINT in this thread (threads started later inherit the mask), so they
/// stay pending until [`wait_for_signal`] takes them.
fn block_signals() -> std::io::Result<libc::sigset_t> {
    // SAFETY: `set` is a local that sigemptyset initialises before any other use, and
    // pthread_sigmask only reads it; the old mask is not asked for (null).
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        match libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) {
            0 => Ok(set),
            error => Err(std::io::Error::from_raw_os_error(error)),
        }
    }
}

/// Waits until one of the blocked signals of `set` arrives; returns its name.
fn wait_for_signal(set: &libc::sigset_t) -> &'static str {
    let mut signal: libc::c_int = 0;
    // SAFETY: `set` is an initialised signal set and `signal` a local sigwait writes to.
    while unsafe { libc::sigwait(set, &mut signal) } != 0 {}
    match signal {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        _ => "a signal",
    }
}

#[cfg(test)]
#[path = "shutdown_tests.rs"]
mod tests;
