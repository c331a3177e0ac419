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
mod tests;
