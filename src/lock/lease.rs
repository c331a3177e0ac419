//! A run lock held on a shared engine (etcd, a Kubernetes Lease): taken atomically, renewed
//! in a background thread, checked by this run's own clock before every mutation, and given
//! back with the run record. Knows nothing of either engine's API: that is the [`Backend`].
//! Never retries a take that found another holder (unless told to wait) and never lets a
//! mutation start once a renewal failed.

use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::record::{Holder, RunRecord};

/// What taking the lease found.
pub enum Take {
    /// Ours now; the run record the previous holders left.
    Taken(RunRecord),
    /// Another holder has it (described), for at most `expires_in` (when known).
    Busy {
        holder: String,
        expires_in: Option<Duration>,
    },
}

/// Who holds the lease now, for `lock status`.
pub struct Status {
    /// The holder; `None` when free.
    pub holder: Option<Held>,
    pub record: RunRecord,
}

/// A holder as read, for `lock status` and `lock break`.
pub struct Held {
    /// The holder, described.
    pub who: String,
    /// When its lease runs out (`None`: it has run out); `Err` when the engine could not
    /// tell.
    pub left: Result<Option<Duration>, String>,
    /// The version of what was read (etcd: the holder key's `mod_revision`; Kubernetes: the
    /// Lease's `resourceVersion`): `lock break` removes this holder, not whoever holds the
    /// lease by then.
    pub version: String,
}

/// One engine's lease operations. Every call is one or two requests; none waits.
pub trait Backend: Send + Sync {
    /// How many requests this engine was sent (for the benchmark).
    fn requests_sent(&self) -> u64;
    /// Where the lease lives, for messages: engine, endpoint and key or object.
    fn location(&self) -> String;
    /// Takes the lease for `holder` if free (or expired), atomically.
    fn take(&self, holder: &Holder) -> Result<Take, String>;
    /// Renews the lease taken; an error means it may be lost.
    fn renew(&self) -> Result<(), String>;
    /// Writes `record` if the lease is still ours.
    fn write_record(&self, record: &RunRecord) -> Result<(), String>;
    /// Writes `record` and gives the lease back.
    fn release(&self, record: &RunRecord) -> Result<(), String>;
    /// Who holds the lease now.
    fn status(&self) -> Result<Status, String>;
    /// Removes `held` if it still holds the lease exactly as read (nothing else changed it
    /// since); says what was done.
    fn remove_holder(&self, held: &Held) -> Result<String, String>;
}

/// Why a lease cannot be used for the next mutation, once it is so.
#[derive(Default)]
struct Validity {
    /// By this run's clock, when the lease runs out unless renewed.
    until: Option<Instant>,
    /// Set once a renewal or a record write failed: no mutation starts after it.
    lost: Option<String>,
    record: RunRecord,
    /// The in-flight horizon written to the engine last.
    written_until: Option<Timestamp>,
}

/// The shared handle every sender checks before a mutation (see `SendLog`).
pub struct Fence {
    backend: Box<dyn Backend>,
    ttl: Duration,
    state: Mutex<Validity>,
}

/// Slack added to an in-flight horizon when it is written, so the mutations that follow
/// within it need no write of their own.
const HORIZON_SLACK: Duration = Duration::from_secs(2);

impl Fence {
    /// The margin kept before the lease's end by this run's clock: no mutation starts in it.
    fn margin(&self) -> Duration {
        self.ttl / 3
    }

    /// Whether a mutation may start now; `Err` says why not.
    pub fn check(&self) -> Result<(), String> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.check_held(&state)
    }

    fn check_held(&self, state: &Validity) -> Result<(), String> {
        if let Some(why) = &state.lost {
            return Err(why.clone());
        }
        match state.until {
            Some(until) if Instant::now() + self.margin() < until => Ok(()),
            _ => Err(format!(
                "the lease on {} is about to run out (not renewed in time)",
                self.backend.location()
            )),
        }
    }

    /// Checks the lease, then records that a mutation that may take `in_flight_for` is
    /// about to be sent (written to the engine when it extends the written horizon). The
    /// horizon is dated from after the write: a write that took longer than the slack is
    /// made again, padded by how long it took, so the mutation sent after it cannot land
    /// after the horizon on record.
    pub fn note(&self, in_flight_for: Duration) -> Result<(), String> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut slack = HORIZON_SLACK;
        loop {
            self.check_held(&state)?;
            let now = Timestamp::now();
            let needed = now.checked_add(in_flight_for).unwrap_or(now);
            if state.written_until.is_some_and(|w| w >= needed) {
                state.record.last_mutation_at = Some(now);
                return Ok(());
            }
            let horizon = needed.checked_add(slack).unwrap_or(needed);
            let mut record = state.record.clone();
            record.in_flight_until = Some(horizon);
            record.last_mutation_at = Some(now);
            let started = Instant::now();
            if let Err(e) = self.backend.write_record(&record) {
                let why = format!("cannot record a mutation on the lease: {e}");
                state.lost = Some(why.clone());
                return Err(why);
            }
            state.record = record;
            state.written_until = Some(horizon);
            slack = HORIZON_SLACK + started.elapsed();
        }
    }

    fn renewed(&self, since: Instant) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.lost.is_none() {
            state.until = Some(since + self.ttl);
        }
    }

    fn lose(&self, why: String) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.lost.is_none() {
            tracing::error!("{why}; no new mutation starts");
            state.lost = Some(why);
        }
    }

    /// How many requests the engine was sent (for the benchmark).
    pub fn requests_sent(&self) -> u64 {
        self.backend.requests_sent()
    }

    /// Why the lease was lost, if it was.
    pub fn lost(&self) -> Option<String> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .lost
            .clone()
    }
}

/// A lease this run holds; given back by [`Lease::release`], or when dropped (an error that
/// ends the run early), or left to run out when the process dies.
pub struct Lease {
    fence: Arc<Fence>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    renewer: Option<JoinHandle<()>>,
    /// Set once given back (or tried to): a drop does not give it back again.
    given_back: bool,
    /// What the previous holders left.
    pub previous: RunRecord,
}

impl Lease {
    /// Takes the lease on `backend`; when it is busy, tries again until `wait` has passed.
    pub fn take(
        backend: Box<dyn Backend>,
        ttl: Duration,
        wait: Duration,
    ) -> Result<Lease, super::LockError> {
        let holder = Holder::this_process();
        let deadline = Instant::now() + wait;
        let (previous, since) = loop {
            let since = Instant::now();
            match backend.take(&holder).map_err(super::LockError::Lease)? {
                Take::Taken(previous) => break (previous, since),
                Take::Busy { holder, expires_in } => {
                    let now = Instant::now();
                    if now >= deadline {
                        let expiry = expires_in.map_or(String::new(), |d| {
                            format!(" (its lease runs out in {}s unless renewed)", d.as_secs())
                        });
                        return Err(super::LockError::Busy {
                            path: backend.location(),
                            holder: format!("{holder}{expiry}"),
                        });
                    }
                    // A holder whose lease runs out later is not asked again before then
                    // (at most every 5 s, in case it gives the lease back sooner).
                    let pause = expires_in.map_or(Duration::from_millis(500), |left| {
                        left.clamp(Duration::from_millis(500), Duration::from_secs(5))
                    });
                    std::thread::sleep((deadline - now).min(pause));
                }
            }
        };
        let mut record = previous.clone();
        record.holder = Some(holder);
        let fence = Arc::new(Fence {
            backend,
            ttl,
            state: Mutex::new(Validity {
                until: Some(since + ttl),
                lost: None,
                written_until: None,
                record,
            }),
        });
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let renewer = {
            let (fence, stop) = (Arc::clone(&fence), Arc::clone(&stop));
            std::thread::spawn(move || renew_until_stopped(&fence, &stop))
        };
        Ok(Lease {
            fence,
            stop,
            renewer: Some(renewer),
            given_back: false,
            previous,
        })
    }

    /// The handle senders check before every mutation.
    pub fn fence(&self) -> Arc<Fence> {
        Arc::clone(&self.fence)
    }

    /// How long to wait for a previous holder's mutations to land (it did not finish).
    pub fn settle_wait(&self) -> Duration {
        self.previous.settle_wait(Timestamp::now())
    }

    /// Stops renewing and gives the lease back with the run record: nothing is in flight
    /// any more, and `succeeded` sets the last success. A lease that cannot be given back
    /// runs out by itself after its TTL (logged).
    pub fn release(mut self, succeeded: bool) {
        self.give_back(true, succeeded);
    }

    /// Stops renewing and gives the lease back unless it was lost: `finished` clears the
    /// in-flight horizon (nothing is on its way any more), `succeeded` sets the last success.
    fn give_back(&mut self, finished: bool, succeeded: bool) {
        self.stop_renewing();
        self.given_back = true;
        let mut record = {
            let state = self.fence.state.lock().unwrap_or_else(|e| e.into_inner());
            state.record.clone()
        };
        if finished {
            record.in_flight_until = None;
        }
        if succeeded {
            record.last_success_at = Some(Timestamp::now());
        }
        if self.fence.lost().is_some() {
            return;
        }
        if let Err(e) = self.fence.backend.release(&record) {
            tracing::warn!(
                "cannot give the lease on {} back ({e}); it runs out by itself",
                self.fence.backend.location()
            );
        }
    }

    fn stop_renewing(&mut self) {
        let (flag, wake) = &*self.stop;
        *flag.lock().unwrap_or_else(|e| e.into_inner()) = true;
        wake.notify_all();
        if let Some(renewer) = self.renewer.take() {
            let _ = renewer.join();
        }
    }
}

impl Drop for Lease {
    /// A run that ends on an error gives the lease back rather than hold it for its TTL
    /// (best effort); the in-flight horizon on record is kept, as mutations may be on
    /// their way.
    fn drop(&mut self) {
        if !self.given_back {
            self.give_back(false, false);
        }
    }
}

/// Renews every third of the TTL, counted from when the last renewal started (a slow
/// answer does not push the next one back), until stopped; the first failure loses the
/// lease.
fn renew_until_stopped(fence: &Fence, stop: &(Mutex<bool>, Condvar)) {
    let (flag, wake) = stop;
    let mut stopped = flag.lock().unwrap_or_else(|e| e.into_inner());
    let mut next = Instant::now() + fence.ttl / 3;
    loop {
        // A stop that came before this wait began is seen here, not missed.
        let wait = next.saturating_duration_since(Instant::now());
        let (guard, _) = wake
            .wait_timeout_while(stopped, wait, |stop| !*stop)
            .unwrap_or_else(|e| e.into_inner());
        stopped = guard;
        if *stopped {
            return;
        }
        let since = Instant::now();
        next = since + fence.ttl / 3;
        drop(stopped);
        let renewed = fence.backend.renew();
        stopped = flag.lock().unwrap_or_else(|e| e.into_inner());
        match renewed {
            Ok(()) => fence.renewed(since),
            Err(e) => {
                fence.lose(format!(
                    "the lease on {} could not be renewed: {e}",
                    fence.backend.location()
                ));
                return;
            }
        }
    }
}

#[cfg(test)]
#[path = "lease_tests.rs"]
mod tests;
