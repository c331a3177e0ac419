//! A fake Taskcluster deployment (queue counts, pending-task lists, worker-manager workers) on
//! a loopback server,
//! faithful to the real routes, paging and `{code, message, requestInfo}` error bodies.
//! It must not be kinder than the real API: bad Hawk headers, bad arguments and unknown routes fail.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::Timestamp;

use super::server::SimServer;

pub(super) const MAX_LIMIT: usize = 1000;

/// A worker known to the fake worker-manager.
#[derive(Debug, Clone)]
pub(super) struct Worker {
    pub(super) pool: String,
    pub(super) worker_id: String,
    pub(super) quarantine_until: Option<Timestamp>,
    /// `lastDateActive`: the last time the worker claimed or reclaimed work.
    pub(super) last_date_active: Option<Timestamp>,
}

pub(super) struct State {
    pub(super) counts: HashMap<String, (u64, u64)>,
    /// Per task queue, when each pending task was inserted, oldest first (as many as the
    /// pending count; the control methods keep them in step).
    pub(super) inserted: HashMap<String, VecDeque<Timestamp>>,
    pub(super) workers: Vec<Worker>,
    pub(super) page_size: usize,
    pub(super) deny_anonymous: bool,
    /// The anonymous role lacks `queue:pending-list:*` (listPendingTasks answers 403).
    pub(super) deny_pending_list: bool,
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake Taskcluster: control methods on the left, HTTP on `url()`.
pub struct TaskclusterSim {
    server: SimServer,
    state: Arc<Mutex<State>>,
}

impl TaskclusterSim {
    /// Starts an empty deployment (every queue has zero tasks, no workers).
    pub fn start() -> std::io::Result<TaskclusterSim> {
        let state = Arc::new(Mutex::new(State {
            counts: HashMap::new(),
            inserted: HashMap::new(),
            workers: Vec::new(),
            page_size: MAX_LIMIT,
            deny_anonymous: false,
            deny_pending_list: false,
        }));
        let server = SimServer::start(Arc::new(super::taskcluster_routes::Handler(Arc::clone(
            &state,
        ))))?;
        Ok(TaskclusterSim { server, state })
    }

    /// The rootUrl to configure clients with.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The underlying server (request log, fault injection).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// Sets the pending and claimed counts of a task queue (`provisionerId/workerType`): new
    /// pending tasks are inserted now, fewer drop the oldest (as claims take them).
    pub fn set_counts(&self, task_queue_id: &str, pending: u64, claimed: u64) {
        let mut state = lock(&self.state);
        state
            .counts
            .insert(task_queue_id.to_string(), (pending, claimed));
        let inserted = state.inserted.entry(task_queue_id.to_string()).or_default();
        let wanted = usize::try_from(pending).unwrap_or(usize::MAX);
        while inserted.len() > wanted {
            inserted.pop_front();
        }
        let now = Timestamp::now();
        inserted.resize(wanted, now);
    }

    /// Adds one pending task to a task queue, inserted at `at` (kept in insertion order).
    pub fn add_pending_task(&self, task_queue_id: &str, at: Timestamp) {
        let mut state = lock(&self.state);
        state.counts.entry(task_queue_id.to_string()).or_default().0 += 1;
        let inserted = state.inserted.entry(task_queue_id.to_string()).or_default();
        let place = inserted.partition_point(|t| *t <= at);
        inserted.insert(place, at);
    }

    /// Registers a standalone worker in the pool `task_queue_id`.
    pub fn add_worker(
        &self,
        task_queue_id: &str,
        worker_id: &str,
        quarantine_until: Option<Timestamp>,
    ) {
        lock(&self.state).workers.push(Worker {
            pool: task_queue_id.to_string(),
            worker_id: worker_id.to_string(),
            quarantine_until,
            last_date_active: None,
        });
    }

    /// Sets when a registered worker was last active (as a claim would).
    pub fn set_last_active(&self, task_queue_id: &str, worker_id: &str, at: Timestamp) {
        let mut state = lock(&self.state);
        let worker = state
            .workers
            .iter_mut()
            .find(|w| w.pool == task_queue_id && w.worker_id == worker_id);
        if let Some(worker) = worker {
            worker.last_date_active = Some(at);
        }
    }

    /// The generic-worker `worker_id` claims a pending task of its worker pool at `at`: one
    /// task moves from pending to claimed and the worker is active. Returns false (nothing
    /// changes) when no such worker is registered or its queue has nothing pending.
    pub fn claim_task(&self, worker_id: &str, at: Timestamp) -> bool {
        let mut state = lock(&self.state);
        let Some(worker) = state.workers.iter_mut().find(|w| w.worker_id == worker_id) else {
            return false;
        };
        worker.last_date_active = Some(at);
        let pool = worker.pool.clone();
        match state.counts.get_mut(&pool) {
            Some((pending, claimed)) if *pending > 0 => {
                *pending -= 1;
                *claimed += 1;
                state.inserted.entry(pool).or_default().pop_front();
                true
            }
            _ => false,
        }
    }

    /// The (pending, claimed) counts of a task queue.
    pub fn counts(&self, task_queue_id: &str) -> (u64, u64) {
        let state = lock(&self.state);
        state.counts.get(task_queue_id).copied().unwrap_or((0, 0))
    }

    /// Caps the rows per page of list endpoints (the real cap is 1000).
    pub fn set_page_size(&self, n: usize) {
        lock(&self.state).page_size = n.clamp(1, MAX_LIMIT);
    }

    /// When true, `listPendingTasks` without an `Authorization` header gets 403
    /// `InsufficientScopes` (an anonymous role without `queue:pending-list:*`).
    pub fn set_deny_pending_list(&self, deny: bool) {
        lock(&self.state).deny_pending_list = deny;
    }

    /// When true, requests without an `Authorization` header get 403 `InsufficientScopes`.
    pub fn set_deny_anonymous(&self, deny: bool) {
        lock(&self.state).deny_anonymous = deny;
    }
}

#[cfg(test)]
#[path = "taskcluster_tests.rs"]
mod tests;
