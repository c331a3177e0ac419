//! Unit tests of `parallel/mod.rs`.

use super::*;

#[test]
fn runs_every_task_once_within_the_limit() {
    let running = AtomicUsize::new(0);
    let peak = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let tasks: Vec<Task<'_>> = (0..20)
        .map(|_| {
            Box::new(|| {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(5));
                running.fetch_sub(1, Ordering::SeqCst);
                done.fetch_add(1, Ordering::SeqCst);
            }) as Task<'_>
        })
        .collect();
    run_parallel(3, tasks);
    assert_eq!(done.load(Ordering::SeqCst), 20);
    assert!(peak.load(Ordering::SeqCst) <= 3);
}

#[test]
fn map_keeps_the_order_of_the_items() {
    let squares = map_parallel(3, (1..=10).collect(), |n: u64| {
        std::thread::sleep(std::time::Duration::from_millis(10 - n));
        n * n
    });
    assert_eq!(squares, (1..=10).map(|n| n * n).collect::<Vec<u64>>());
    assert!(map_parallel(4, Vec::<u8>::new(), |n| n).is_empty());
}
