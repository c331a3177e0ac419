//! Tests of `testflinger`, kept apart so the module reads in one sitting.

use super::*;
use crate::load::HttpSettings;
use devicepool_sim::testflinger::TestflingerSim;
use serde_json::{Value, json};

fn reader() -> Reader {
    Reader::new(
        &HttpSettings {
            retries: 0,
            ..HttpSettings::default()
        },
        crate::secret::Redactor::default(),
    )
}

fn status(e: &ApiError) -> (u16, String) {
    match &e.failure {
        Failure::Status { status, excerpt } => (*status, excerpt.clone()),
        other => panic!("not a status failure: {other:?}"),
    }
}

fn tags(t: &[&str]) -> Vec<String> {
    t.iter().map(|s| s.to_string()).collect()
}

/// Submits through the raw API (the apply side has its own tests).
fn submit(tf: &TestflingerSim, job: serde_json::Value) -> String {
    let (code, _, body) = devicepool_sim::probe::fetch(
        "POST",
        &format!("{}/v1/job", tf.url()),
        &[("Content-Type", "application/json")],
        Some(&job.to_string()),
    );
    assert_eq!(code, 200, "{body}");
    serde_json::from_str::<Value>(&body).expect("json")["job_id"]
        .as_str()
        .expect("id")
        .to_string()
}

#[test]
fn an_out_of_range_expires_in_is_an_error_not_a_panic() {
    // Reproduced through the `api_responses` fuzz target: `now + expires_in` overflowed and
    // panicked.
    let now: Timestamp = "2026-11-25T10:00:00Z".parse().expect("now");
    for expires_in in [i64::MAX, i64::MIN, 1_000_000_000_000] {
        let body = format!(r#"{{"access_token":"t","expires_in":{expires_in}}}"#);
        let e = decode_token(&body, now).expect_err("out of range");
        assert_eq!(e, format!("expires_in {expires_in} is out of range"));
    }
    let token = decode_token(r#"{"access_token":"t","expires_in":-5}"#, now).expect("past");
    assert!(!token.is_fresh(now));
}

#[test]
fn agents_once_with_optional_streaks() {
    let tf = TestflingerSim::start().expect("start");
    tf.add_agent("tor3-a", "waiting", &["tor3-a"], "TOR3", Some(("fail", 21)));
    tf.add_agent("tor3-b", "offline", &["tor3-b"], "TOR3", None);
    let agents = fetch_agents(&reader(), &tf.url(), None).expect("agents");
    assert_eq!(agents.len(), 2);
    assert_eq!(
        (
            agents[0].provision_streak_type.as_deref(),
            agents[0].provision_streak_count
        ),
        (Some("fail"), Some(21))
    );
    assert_eq!(agents[1].provision_streak_type, None);
    assert_eq!(
        (agents[1].state.as_str(), agents[1].job_id.as_deref()),
        ("offline", None)
    );
    assert_eq!(agents[0].updated_at, Some(tf.now()));
    assert_eq!(tf.server().requests().len(), 1);
}

#[test]
fn search_means_all_tags_and_active_and_result_204() {
    let tf = TestflingerSim::start().expect("start");
    tf.add_agent("a", "waiting", &["a"], "TOR3", None);
    let ours = submit(
        &tf,
        json!({"job_queue": "a", "tags": ["devicepool", "rack:r1"]}),
    );
    let other = submit(
        &tf,
        json!({"job_queue": "a", "tags": ["devicepool", "rack:r2"]}),
    );
    let done = submit(
        &tf,
        json!({"job_queue": "a", "tags": ["devicepool", "rack:r1"]}),
    );
    assert!(tf.advance_job(&done, "provision"));
    assert!(tf.complete_job(&done, &[("provision", 1)]));
    let r = reader();
    let found = search_jobs(
        &r,
        &tf.url(),
        None,
        &tags(&["devicepool", "rack:r1"]),
        false,
    )
    .expect("search");
    let ids: Vec<&str> = found.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(ids, [ours.as_str(), done.as_str()]);
    assert!(!ids.contains(&other.as_str()));
    let active =
        search_jobs(&r, &tf.url(), None, &tags(&["devicepool", "rack:r1"]), true).expect("search");
    assert_eq!(active.len(), 1);
    assert_eq!(
        (active[0].job_state.as_str(), active[0].created_at),
        ("waiting", Some(tf.now()))
    );
    assert!(search_jobs(&r, &tf.url(), None, &[], true).is_err());

    let result = fetch_result(&r, &tf.url(), None, &done)
        .expect("result")
        .expect("200");
    assert_eq!(
        (result.job_state.as_str(), result.provision_status()),
        ("complete", Some(1))
    );
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        fetch_result(&r, &tf.url(), None, unknown).expect("204"),
        None
    );
    let e = fetch_result(&r, &tf.url(), None, "not-a-uuid").expect_err("400");
    assert_eq!(status(&e).0, 400);
    assert!(status(&e).1.contains("Invalid job_id specified"));
}

#[test]
fn auth_required_mode_and_token_renewal() {
    let tf = TestflingerSim::start().expect("start");
    tf.set_auth_required(true);
    tf.add_client("devicepool", "s3cret", "contributor");
    let r = reader();
    let e = fetch_agents(&r, &tf.url(), None).expect_err("anonymous");
    assert_eq!(
        status(&e),
        (
            401,
            r#"{"detail":{},"message":"Authentication is required for specified endpoint"}"#.into()
        )
    );
    let garbage = Secret::new("garbage");
    assert_eq!(
        status(&fetch_agents(&r, &tf.url(), Some(&garbage)).expect_err("403")).0,
        403
    );
    let wrong = fetch_token(&r, &tf.url(), "devicepool", &Secret::new("nope"), tf.now());
    assert_eq!(
        status(&wrong.expect_err("401")),
        (401, "Invalid client id or client key".into())
    );

    let mut source = TokenSource::new("devicepool".into(), Secret::new("s3cret"));
    let first = source.access_token(&r, &tf.url(), tf.now()).expect("token");
    assert!(fetch_agents(&r, &tf.url(), Some(&first)).is_ok());
    assert_eq!(
        source
            .access_token(&r, &tf.url(), tf.now())
            .expect("cached"),
        first
    );
    tf.advance_clock(601);
    let e = fetch_agents(&r, &tf.url(), Some(&first)).expect_err("expired");
    assert_eq!(status(&e).0, 401);
    assert!(status(&e).1.contains("Token has expired"));
    let second = source
        .access_token(&r, &tf.url(), tf.now())
        .expect("renewed");
    assert_ne!(second, first);
    assert!(fetch_agents(&r, &tf.url(), Some(&second)).is_ok());
    let posts = tf
        .server()
        .requests()
        .into_iter()
        .filter(|q| q.method == "POST")
        .count();
    assert_eq!(posts, 3, "one failed exchange, two good ones");
    assert!(!format!("{source:?}").contains("s3cret"));
}

#[test]
fn a_result_far_over_max_body_bytes_is_read_streaming() {
    let tf = TestflingerSim::start().expect("start");
    tf.add_agent("a", "waiting", &["a"], "TOR3", None);
    let id = submit(&tf, json!({"job_queue": "a", "tags": ["devicepool"]}));
    assert!(tf.advance_job(&id, "provision"));
    assert!(tf.complete_job(&id, &[("setup", 0), ("provision", 1)]));
    tf.set_result_log_bytes(3_000_000);
    let settings = HttpSettings {
        retries: 0,
        max_body_bytes: 1024 * 1024,
        ..HttpSettings::default()
    };
    let small = Reader::new(&settings, crate::secret::Redactor::default());
    let result = fetch_result(&small, &tf.url(), None, &id)
        .expect("read")
        .expect("200");
    assert_eq!(
        (result.job_state.as_str(), result.provision_status()),
        ("complete", Some(1))
    );
    let sent: usize = tf.server().response_bytes().iter().map(|(_, b)| b).sum();
    assert!(sent > 12_000_000, "{sent} bytes served");
}
