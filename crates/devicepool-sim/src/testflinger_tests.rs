//! Tests of `testflinger`, kept apart so the module reads in one sitting.

use super::*;
use crate::probe::fetch;

fn call(tf: &TestflingerSim, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let (status, _, text) = fetch(method, &format!("{}{path}", tf.url()), &[], body);
    (status, text)
}

#[test]
fn job_lifecycle_agents_and_cancel_follow_the_server() {
    let tf = TestflingerSim::start().expect("start");
    tf.add_agent("tor3-a", "waiting", &["tor3-a"], "TOR3", Some(("pass", 2)));
    let (_, body) = call(
        &tf,
        "POST",
        "/v1/job",
        Some(r#"{"job_queue":"tor3-a","reserve_data":{"timeout":"2h"}}"#),
    );
    let id: String = serde_json::from_str::<Value>(&body).expect("json")["job_id"]
        .as_str()
        .expect("id")
        .into();
    let (status, def) = call(&tf, "GET", &format!("/v1/job/{id}"), None);
    let def: Value = serde_json::from_str(&def).expect("json");
    assert_eq!(status, 200);
    assert_eq!(
        (
            def["reserve_data"]["timeout"].as_i64(),
            def["exclude_agents"].clone(),
            def["job_priority"].as_i64()
        ),
        (Some(7200), json!([]), Some(0))
    );
    assert!(tf.advance_job(&id, "provision"));
    assert_eq!(tf.agents()[0]["job_id"], json!(id));
    assert_eq!(tf.agents()[0]["state"], "provision");
    assert!(tf.complete_job(&id, &[("provision", 1)]));
    let agent = &tf.agents()[0];
    assert_eq!(
        (agent["state"].clone(), agent["job_id"].clone()),
        (json!("waiting"), json!(""))
    );
    assert_eq!(
        (
            agent["provision_streak_type"].clone(),
            agent["provision_streak_count"].clone()
        ),
        (json!("fail"), json!(1))
    );
    assert!(!tf.advance_job(&id, "test"), "final jobs stay final");
    let cancel = Some(r#"{"action":"cancel"}"#);
    assert_eq!(
        call(&tf, "POST", &format!("/v1/job/{id}/action"), cancel),
        (400, "The job is already completed or cancelled".into())
    );
    let (_, body) = call(&tf, "POST", "/v1/job", Some(r#"{"job_queue":"tor3-a"}"#));
    let id2: String = serde_json::from_str::<Value>(&body).expect("json")["job_id"]
        .as_str()
        .expect("id")
        .into();
    assert_eq!(
        call(&tf, "POST", &format!("/v1/job/{id2}/action"), cancel),
        (200, "OK".into())
    );
    assert_eq!(
        call(
            &tf,
            "POST",
            &format!("/v1/job/{id2}/action"),
            Some(r#"{"action":"stop"}"#)
        )
        .0,
        422
    );
    assert_eq!(
        call(&tf, "POST", "/v1/job/nope/action", cancel),
        (400, "Invalid job id\n".into())
    );
    let unknown = "00000000-0000-4000-8000-000000000000";
    assert_eq!(
        call(&tf, "POST", &format!("/v1/job/{unknown}/action"), cancel).0,
        400
    );
    assert_eq!(
        call(&tf, "GET", &format!("/v1/job/{unknown}"), None),
        (204, String::new())
    );
    let (status, agents) = call(&tf, "GET", "/v1/queues/tor3-a/agents", None);
    assert_eq!(status, 200);
    assert!(!agents.contains("updated_at") && agents.contains("\"location\":\"TOR3\""));
    assert_eq!(
        call(&tf, "GET", "/v1/queues/none/agents", None),
        (
            404,
            r#"{"detail":{},"message":"Queue 'none' does not exist."}"#.into()
        )
    );
    assert_eq!(call(&tf, "GET", "/v1/queues/none/jobs", None).0, 204);
    assert_eq!(
        call(&tf, "GET", "/v1/agents/data/none", None),
        (404, "{}".into())
    );
    assert_eq!(call(&tf, "GET", "/v1/job/search?state=bogus", None).0, 422);
}
