//! Unit tests of `lease.rs` with an engine in memory: the written horizon, lost and slow
//! renewals, a slow record write, the safety margin, a busy lease, giving back on drop.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::*;

/// An engine in memory: free or busy, renewals that work until told not to, and a count of
/// record writes.
#[derive(Default)]
struct Memory {
    busy: bool,
    renewals_fail: Arc<AtomicBool>,
    writes: Arc<AtomicU64>,
    /// How long each record write takes.
    write_takes: Duration,
    /// The last record written.
    last_written: Arc<Mutex<Option<RunRecord>>>,
    /// How many times it was given back.
    releases: Arc<AtomicU64>,
    /// How long each renewal takes.
    renew_takes: Duration,
    /// How many times taking it was tried.
    takes: Arc<AtomicU64>,
}

impl Backend for Memory {
    fn requests_sent(&self) -> u64 {
        0
    }
    fn location(&self) -> String {
        "memory".into()
    }
    fn take(&self, _holder: &Holder) -> Result<Take, String> {
        self.takes.fetch_add(1, Ordering::SeqCst);
        if self.busy {
            return Ok(Take::Busy {
                holder: "host other, pid 7".into(),
                expires_in: Some(Duration::from_secs(9)),
            });
        }
        Ok(Take::Taken(RunRecord::default()))
    }
    fn renew(&self) -> Result<(), String> {
        std::thread::sleep(self.renew_takes);
        if self.renewals_fail.load(Ordering::SeqCst) {
            return Err("engine gone".into());
        }
        Ok(())
    }
    fn write_record(&self, record: &RunRecord) -> Result<(), String> {
        std::thread::sleep(self.write_takes);
        self.writes.fetch_add(1, Ordering::SeqCst);
        *self.last_written.lock().unwrap() = Some(record.clone());
        Ok(())
    }
    fn release(&self, _record: &RunRecord) -> Result<(), String> {
        self.releases.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
    fn status(&self) -> Result<Status, String> {
        Err("not here".into())
    }
    fn remove_holder(&self, _held: &Held) -> Result<String, String> {
        Err("not here".into())
    }
}

#[test]
fn mutations_within_the_written_horizon_write_the_record_once() {
    let writes = Arc::new(AtomicU64::new(0));
    let engine = Memory {
        writes: Arc::clone(&writes),
        ..Memory::default()
    };
    let lease = Lease::take(Box::new(engine), Duration::from_secs(30), Duration::ZERO)
        .unwrap_or_else(|_| panic!("free"));
    let fence = lease.fence();
    for _ in 0..10 {
        fence.note(Duration::from_secs(1)).unwrap();
    }
    assert_eq!(writes.load(Ordering::SeqCst), 1);
    // A longer mutation reaches past the horizon: written again.
    fence.note(Duration::from_secs(60)).unwrap();
    assert_eq!(writes.load(Ordering::SeqCst), 2);
    lease.release(true);
}

#[test]
fn a_failed_renewal_stops_every_later_mutation() {
    let fail = Arc::new(AtomicBool::new(false));
    let engine = Memory {
        renewals_fail: Arc::clone(&fail),
        ..Memory::default()
    };
    let lease = Lease::take(Box::new(engine), Duration::from_secs(3), Duration::ZERO)
        .unwrap_or_else(|_| panic!("free"));
    let fence = lease.fence();
    assert!(fence.check().is_ok());
    fail.store(true, Ordering::SeqCst);
    // Renewed every second: lost within about one.
    std::thread::sleep(Duration::from_millis(1500));
    let why = fence.check().unwrap_err();
    assert!(why.contains("could not be renewed: engine gone"), "{why}");
    assert!(fence.note(Duration::from_secs(1)).is_err());
    assert_eq!(fence.lost().as_deref(), Some(why.as_str()));
}

#[test]
fn a_lease_inside_its_safety_margin_allows_no_mutation() {
    let fence = Fence {
        backend: Box::new(Memory::default()),
        ttl: Duration::from_secs(30),
        state: Mutex::new(Validity {
            // 5 s left: inside the 10 s margin (a third of the TTL).
            until: Some(Instant::now() + Duration::from_secs(5)),
            ..Validity::default()
        }),
    };
    let why = fence.check().unwrap_err();
    assert!(why.contains("about to run out"), "{why}");
}

#[test]
fn a_busy_lease_names_its_holder_and_when_it_runs_out() {
    let engine = Memory {
        busy: true,
        ..Memory::default()
    };
    let Err(error) = Lease::take(Box::new(engine), Duration::from_secs(30), Duration::ZERO) else {
        panic!("taken while busy");
    };
    let text = error.to_string();
    assert!(text.contains("memory"), "{text}");
    assert!(text.contains("host other, pid 7"), "{text}");
    assert!(text.contains("runs out in 9s"), "{text}");
}

#[test]
fn a_slow_record_write_still_leaves_the_horizon_after_the_mutation_can_land() {
    let last_written = Arc::new(Mutex::new(None));
    let engine = Memory {
        // Longer than the 2 s slack the horizon is padded with.
        write_takes: Duration::from_millis(2300),
        last_written: Arc::clone(&last_written),
        ..Memory::default()
    };
    let lease = Lease::take(Box::new(engine), Duration::from_secs(30), Duration::ZERO)
        .unwrap_or_else(|_| panic!("free"));
    let fence = lease.fence();
    fence.note(Duration::from_secs(1)).unwrap();
    // The mutation goes out now and may take a second: the horizon on record covers it.
    let lands_by = Timestamp::now()
        .checked_add(Duration::from_secs(1))
        .unwrap();
    let written = last_written.lock().unwrap().clone().unwrap();
    let horizon = written.in_flight_until.unwrap();
    assert!(horizon >= lands_by, "{horizon} is before {lands_by}");
    drop(fence);
    lease.release(true);
}

#[test]
fn a_lease_dropped_on_an_error_is_given_back_once_and_a_lost_one_is_not() {
    let releases = Arc::new(AtomicU64::new(0));
    let take = |fail: &Arc<AtomicBool>| {
        let engine = Memory {
            releases: Arc::clone(&releases),
            renewals_fail: Arc::clone(fail),
            ..Memory::default()
        };
        Lease::take(Box::new(engine), Duration::from_secs(3), Duration::ZERO)
            .unwrap_or_else(|_| panic!("free"))
    };
    let fine = Arc::new(AtomicBool::new(false));
    drop(take(&fine));
    assert_eq!(releases.load(Ordering::SeqCst), 1);
    // Released explicitly: the drop that follows does not give it back again.
    take(&fine).release(true);
    assert_eq!(releases.load(Ordering::SeqCst), 2);
    let failing = Arc::new(AtomicBool::new(true));
    let lost = take(&failing);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(lost.fence().lost().is_some());
    drop(lost);
    assert_eq!(releases.load(Ordering::SeqCst), 2);
}

#[test]
fn slow_renewals_that_succeed_never_stop_a_mutation() {
    let engine = Memory {
        // Most of the second between renewals of a 3 s TTL.
        renew_takes: Duration::from_millis(900),
        ..Memory::default()
    };
    let lease = Lease::take(Box::new(engine), Duration::from_secs(3), Duration::ZERO)
        .unwrap_or_else(|_| panic!("free"));
    let fence = lease.fence();
    let end = Instant::now() + Duration::from_secs(5);
    while Instant::now() < end {
        fence.check().unwrap();
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(fence);
    lease.release(true);
}

#[test]
fn waiting_for_a_busy_lease_asks_again_when_it_may_have_run_out_not_twice_a_second() {
    let takes = Arc::new(AtomicU64::new(0));
    let engine = Memory {
        busy: true,
        takes: Arc::clone(&takes),
        ..Memory::default()
    };
    // Its holder's lease runs out in 9 s: within a 2 s wait it is asked at the start and
    // when the wait ends, not every 500 ms.
    let waited = Lease::take(
        Box::new(engine),
        Duration::from_secs(30),
        Duration::from_secs(2),
    );
    assert!(waited.is_err());
    assert_eq!(takes.load(Ordering::SeqCst), 2);
}
