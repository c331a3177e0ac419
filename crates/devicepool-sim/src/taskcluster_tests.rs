//! Unit tests of `taskcluster.rs`.

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
