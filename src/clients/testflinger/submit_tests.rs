//! Unit tests of `clients/testflinger/submit.rs`.

use super::*;
use crate::clients::http::Failure;
use crate::clients::testflinger::fetch_token;
use crate::load::HttpSettings;
use devicepool_sim::testflinger::TestflingerSim;
use serde_json::json;
use std::time::Duration;

fn writer() -> Writer {
    Writer::new(&HttpSettings::default(), crate::secret::Redactor::default())
}

fn refusal(e: ApiError) -> (u16, String) {
    match e.failure {
        Failure::Status { status, excerpt } => (status, excerpt),
        other => panic!("not a refusal: {other:?}"),
    }
}

#[test]
fn submits_a_deploy_job_and_returns_its_id() {
    let tf = TestflingerSim::start().expect("start");
    let job = json!({"job_queue": "tor3-a", "tags": ["devicepool", "rack:r1"],
        "provision_data": {"distro": "noble"}, "reserve_data": {"timeout": 120}});
    let id = submit_job(&writer(), &tf.url(), None, &job).expect("submitted");
    let jobs = tf.jobs();
    assert_eq!(
        (
            jobs.len(),
            jobs[0].job_id.as_str(),
            jobs[0].job_state.as_str()
        ),
        (1, id.as_str(), "waiting")
    );
    assert_eq!(tf.submissions(), [job]);
    let log = tf.server().requests();
    assert_eq!(log[0].header("content-type"), Some("application/json"));
    assert_eq!(log[0].header("authorization"), None);
}

#[test]
fn refusals_carry_the_servers_message() {
    let tf = TestflingerSim::start().expect("start");
    let w = writer();
    let e =
        submit_job(&w, &tf.url(), None, &json!({"job_queue": "q", "bogus": 1})).expect_err("422");
    assert_eq!(
        refusal(e),
        (
            422,
            r#"Validation error: {"json":{"bogus":["Unknown field."]}}"#.into()
        )
    );
    let e = submit_job(&w, &tf.url(), None, &json!({"tags": ["x"]})).expect_err("422");
    assert!(refusal(e).1.contains("job_queue"));
    let e = submit_job(
        &w,
        &tf.url(),
        None,
        &json!({"job_queue": "q", "job_priority": 5}),
    )
    .expect_err("401");
    assert_eq!(
        refusal(e),
        (
            401,
            "Authentication required for setting priority: 5".into()
        )
    );
    let long = json!({"job_queue": "q", "reserve_data": {"timeout": "7h"}});
    assert_eq!(
        refusal(submit_job(&w, &tf.url(), None, &long).expect_err("401")).0,
        401
    );
    tf.set_auth_required(true);
    tf.add_client("agent-1", "k", "agent");
    let e = submit_job(&w, &tf.url(), None, &json!({"job_queue": "q"})).expect_err("401");
    assert_eq!(refusal(e).0, 401);
    let reader = crate::clients::http::Reader::new(
        &HttpSettings::default(),
        crate::secret::Redactor::default(),
    );
    let token =
        fetch_token(&reader, &tf.url(), "agent-1", &Secret::new("k"), tf.now()).expect("token");
    let e = submit_job(
        &w,
        &tf.url(),
        Some(&token.access_token),
        &json!({"job_queue": "q"}),
    )
    .expect_err("403");
    assert_eq!(
        refusal(e),
        (
            403,
            "Specified action requires role: admin, manager, contributor".into()
        )
    );
    assert!(tf.jobs().is_empty());
}

#[test]
fn connection_refused_is_a_transport_failure() {
    let url = {
        let tf = TestflingerSim::start().expect("start");
        tf.url()
    };
    let settings = HttpSettings {
        retries: 1,
        backoff: Duration::from_millis(1),
        ..HttpSettings::default()
    };
    let e = submit_job(
        &Writer::new(&settings, crate::secret::Redactor::default()),
        &url,
        None,
        &json!({"job_queue": "q"}),
    )
    .expect_err("refused");
    assert!(matches!(e.failure, Failure::Transport(_)), "{e}");
}
