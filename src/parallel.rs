//! Running closures on a bounded number of threads (scoped, so they may borrow). Used for
//! parallel reads and parallel launches; knows nothing about either.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One unit of work.
pub type Task<'a> = Box<dyn FnOnce() + Send + 'a>;

/// Runs `tasks` on at most `limit` threads, taken in list order; returns when all are done.
pub fn run_parallel(limit: usize, tasks: Vec<Task<'_>>) {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Task<'_>>>> =
        tasks.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let workers = limit.clamp(1, slots.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(slot) = slots.get(i) else { break };
                    if let Some(task) = slot.lock().unwrap().take() {
                        task();
                    }
                }
            });
        }
    });
}

/// `f` applied to every item on at most `limit` threads; the results in the items' order.
pub fn map_parallel<T, R, F>(limit: usize, items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let results: Vec<Mutex<Option<R>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let tasks: Vec<Task<'_>> = items
        .into_iter()
        .zip(&results)
        .map(|(item, slot)| {
            let f = &f;
            Box::new(move || *slot.lock().unwrap() = Some(f(item))) as Task<'_>
        })
        .collect();
    run_parallel(limit, tasks);
    results
        .into_iter()
        .map(|slot| slot.into_inner().unwrap().expect("every task ran"))
        .collect()
}

#[cfg(test)]
mod tests {
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
}
