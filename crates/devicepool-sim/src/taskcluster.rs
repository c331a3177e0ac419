//! A fake Taskcluster deployment (queue counts + worker-manager workers) on a loopback server,
//! faithful to the real routes, paging and `{code, message, requestInfo}` error bodies.
//! It must not be kinder than the real API: bad Hawk headers, bad arguments and unknown routes fail.

use std::collections::HashMap;
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
}

pub(super) struct State {
    pub(super) counts: HashMap<String, (u64, u64)>,
    pub(super) workers: Vec<Worker>,
    pub(super) page_size: usize,
    pub(super) deny_anonymous: bool,
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
            workers: Vec::new(),
            page_size: MAX_LIMIT,
            deny_anonymous: false,
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

    /// Sets the pending and claimed counts of a task queue (`provisionerId/workerType`).
    pub fn set_counts(&self, task_queue_id: &str, pending: u64, claimed: u64) {
        lock(&self.state)
            .counts
            .insert(task_queue_id.to_string(), (pending, claimed));
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
        });
    }

    /// Caps the rows per page of list endpoints (the real cap is 1000).
    pub fn set_page_size(&self, n: usize) {
        lock(&self.state).page_size = n.clamp(1, MAX_LIMIT);
    }

    /// When true, requests without an `Authorization` header get 403 `InsufficientScopes`.
    pub fn set_deny_anonymous(&self, deny: bool) {
        lock(&self.state).deny_anonymous = deny;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Fault;
    use crate::probe::{fetch, header};
    use serde_json::{Value, json};

    fn get(tc: &TaskclusterSim, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let (status, hdrs, body) = fetch("GET", &format!("{}{path}", tc.url()), headers, None);
        if status == 401 {
            assert_eq!(header(&hdrs, "www-authenticate"), Some("hawk"));
        }
        (status, serde_json::from_str(&body).expect("json body"))
    }

    #[test]
    fn counts_accept_literal_and_encoded_slash() {
        let tc = TaskclusterSim::start().expect("start");
        tc.set_counts("proj-autophone/gecko-t-a55", 7, 3);
        let expected = json!({"provisionerId": "proj-autophone", "workerType": "gecko-t-a55",
            "taskQueueId": "proj-autophone/gecko-t-a55", "pendingTasks": 7, "claimedTasks": 3});
        for tq in [
            "proj-autophone/gecko-t-a55",
            "proj-autophone%2Fgecko-t-a55",
            "proj-autophone%2fgecko-t-a55",
        ] {
            assert_eq!(
                get(&tc, &format!("/api/queue/v1/task-queues/{tq}/counts"), &[]),
                (200, expected.clone())
            );
        }
        let (status, pending) = get(
            &tc,
            "/api/queue/v1/pending/proj-autophone%2Fgecko-t-a55",
            &[],
        );
        assert_eq!(status, 200);
        assert_eq!(pending["pendingTasks"], 7);
        assert!(pending.get("claimedTasks").is_none());
        let (_, unknown) = get(&tc, "/api/queue/v1/task-queues/p/other/counts", &[]);
        assert_eq!(
            (
                unknown["pendingTasks"].clone(),
                unknown["claimedTasks"].clone()
            ),
            (json!(0), json!(0))
        );
        let (status, bad) = get(&tc, "/api/queue/v1/task-queues/p/Bad_Type/counts", &[]);
        assert_eq!(
            (status, bad["code"].as_str()),
            (400, Some("InvalidRequestArguments"))
        );
    }

    #[test]
    fn workers_page_with_tokens_and_quarantine_filter() {
        let tc = TaskclusterSim::start().expect("start");
        let future = Timestamp::now() + jiff::SignedDuration::from_hours(1);
        let past = Timestamp::now() - jiff::SignedDuration::from_hours(1);
        for i in 0..5 {
            let q = [Some(future), Some(past), None][i % 3];
            tc.add_worker("proj-autophone/gecko-t-a55", &format!("w{i}"), q);
        }
        tc.add_worker("proj-autophone/other", "x", None);
        tc.set_page_size(2);
        let base =
            "/api/worker-manager/v1/provisioners/proj-autophone/worker-types/gecko-t-a55/workers";
        let (mut ids, mut pages, mut token) = (Vec::new(), 0, None::<String>);
        loop {
            let path = match &token {
                Some(t) => format!("{base}?continuationToken={t}"),
                None => base.to_string(),
            };
            let (status, body) = get(&tc, &path, &[]);
            assert_eq!(status, 200);
            pages += 1;
            for w in body["workers"].as_array().expect("workers") {
                assert_eq!(w["providerId"], "none");
                ids.push(w["workerId"].as_str().expect("id").to_string());
            }
            match body.get("continuationToken") {
                Some(t) => token = Some(t.as_str().expect("token").to_string()),
                None => break,
            }
        }
        assert_eq!(
            (pages, ids),
            (
                3,
                vec!["w0", "w1", "w2", "w3", "w4"]
                    .into_iter()
                    .map(String::from)
                    .collect()
            )
        );
        let (_, q) = get(&tc, &format!("{base}?quarantined=true&limit=1000"), &[]);
        let quarantined: Vec<_> = q["workers"]
            .as_array()
            .expect("w")
            .iter()
            .map(|w| w["workerId"].clone())
            .collect();
        assert_eq!(quarantined, vec![json!("w0"), json!("w3")]);
        tc.set_page_size(1000);
        let (_, nq) = get(&tc, &format!("{base}?quarantined=false"), &[]);
        assert_eq!(nq["workers"].as_array().expect("w").len(), 3);
        assert!(nq.get("continuationToken").is_none());
        assert_eq!(get(&tc, &format!("{base}?quarantined=yes"), &[]).0, 400);
    }

    #[test]
    fn auth_and_errors_use_real_shapes() {
        let tc = TaskclusterSim::start().expect("start");
        let path = "/api/queue/v1/task-queues/p/wt/counts";
        let (status, body) = get(&tc, path, &[("Authorization", "Hawk garbage")]);
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("AuthenticationFailed"))
        );
        assert_eq!(body["requestInfo"]["method"], "taskQueueCounts");
        assert_eq!(body["requestInfo"]["params"]["taskQueueId"], "p/wt");
        let hawk = r#"Hawk id="me", ts="1700000000", nonce="n", mac="bWFj""#;
        assert_eq!(get(&tc, path, &[("Authorization", hawk)]).0, 200);
        tc.set_deny_anonymous(true);
        let (status, body) = get(&tc, path, &[]);
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("InsufficientScopes"))
        );
        let (status, body) = get(&tc, "/api/queue/v1/nope", &[]);
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("ResourceNotFound"))
        );
        tc.server().inject(
            "GET",
            "/api/queue/v1/task-queues/p/wt",
            Fault::status(500).times(1),
        );
        let (status, body) = get(
            &tc,
            "/api/queue/v1/task-queues/p%2Fwt/counts",
            &[("Authorization", hawk)],
        );
        assert_eq!(
            (status, body["code"].as_str()),
            (500, Some("InternalServerError"))
        );
        assert!(
            body["message"]
                .as_str()
                .expect("msg")
                .contains("incidentId")
        );
    }
}
