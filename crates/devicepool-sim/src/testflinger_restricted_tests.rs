//! Tests of `testflinger_restricted` and the agents' daily heartbeat, the job retention and
//! cancel, as `tests/upstream/testflinger/agents-and-queues.md` describes the real server.

use serde_json::{Value, json};

use crate::probe::fetch;
use crate::testflinger::{JOB_RETENTION_SECONDS, TestflingerSim};

fn call(tf: &TestflingerSim, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    call_as(tf, None, method, path, body)
}

fn call_as(
    tf: &TestflingerSim,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> (u16, String) {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer
        .iter()
        .map(|b| ("authorization", b.as_str()))
        .collect();
    let (status, _, text) = fetch(method, &format!("{}{path}", tf.url()), &headers, body);
    (status, text)
}

fn token(tf: &TestflingerSim, client: &str) -> String {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{client}:secret"));
    let header = format!("Basic {basic}");
    let url = format!("{}/v1/oauth2/token", tf.url());
    let (_, _, body) = fetch("POST", &url, &[("authorization", header.as_str())], None);
    let reply: Value = serde_json::from_str(&body).expect("token json");
    reply["access_token"].as_str().expect("token").to_string()
}

fn submit(tf: &TestflingerSim, token: Option<&str>, queue: &str) -> (u16, String) {
    let body = format!(r#"{{"job_queue":"{queue}"}}"#);
    call_as(tf, token, "POST", "/v1/job", Some(&body))
}

fn job_id(reply: &str) -> String {
    let reply: Value = serde_json::from_str(reply).expect("json");
    reply["job_id"].as_str().expect("job_id").to_string()
}

#[test]
fn an_agent_with_an_owned_restricted_queue_polls_only_it_and_only_owners_submit() {
    let tf = TestflingerSim::start().expect("start");
    tf.add_client("lab-bot", "secret", "contributor");
    tf.add_client("other", "secret", "contributor");
    tf.add_agent("m1", "waiting", &["m1", "cid-1"], "TOR3", None);
    tf.add_agent("m2", "waiting", &["m2", "cid-2"], "TOR3", None);
    tf.restrict_queue("cid-1", &["lab-bot"]);
    // Restricted without an owner: not in `restricted_to`, and m2 still polls every queue.
    tf.restrict_queue("cid-2", &[]);

    let (_, agents) = call(&tf, "GET", "/v1/agents/data", None);
    let agents: Value = serde_json::from_str(&agents).expect("json");
    assert_eq!(agents[0]["restricted_to"], json!({"cid-1": ["lab-bot"]}));
    assert_eq!(agents[1]["restricted_to"], json!({}));

    let (status, body) = submit(&tf, None, "cid-1");
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("Authentication required to push to restricted queue: cid-1"));
    let other = token(&tf, "other");
    let (status, body) = submit(&tf, Some(&other), "cid-1");
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("Not enough permissions to push to the restricted queue: cid-1"));

    let bot = token(&tf, "lab-bot");
    let (status, on_own) = submit(&tf, Some(&bot), "m1");
    assert_eq!(status, 200);
    let (status, on_restricted) = submit(&tf, Some(&bot), "cid-1");
    assert_eq!(status, 200);
    let (_, on_m2) = submit(&tf, None, "m2");
    let taken = tf.poll_agents();
    assert_eq!(
        taken,
        [
            ("m1".to_string(), job_id(&on_restricted)),
            ("m2".to_string(), job_id(&on_m2))
        ]
    );
    // The job on m1's ordinary queue is never taken: m1 polls only cid-1.
    assert!(tf.complete_job(&job_id(&on_restricted), &[("provision", 0)]));
    assert!(tf.poll_agents().is_empty());
    assert!(!tf.advance_job(&job_id(&on_own), "running"));
}

#[test]
fn idle_agents_post_once_a_day_stopped_ones_never() {
    let tf = TestflingerSim::start().expect("start");
    let start = tf.now();
    for name in ["idle", "off", "busy", "dead"] {
        tf.add_agent(name, "waiting", &[name], "TOR3", None);
    }
    tf.set_agent_state("off", "offline");
    tf.set_agent_state("busy", "provision");
    tf.stop_agent("dead");
    let updated = |name: &str| {
        let agents = tf.agents();
        let agent = agents.iter().find(|a| a["name"] == name).expect("agent");
        agent["updated_at"]
            .as_str()
            .expect("updated_at")
            .to_string()
    };
    tf.advance_clock(23 * 3600);
    assert_eq!(updated("idle"), "2026-11-25T10:00:00Z");
    tf.advance_clock(26 * 3600);
    let two_days = "2026-11-27T10:00:00Z";
    assert_eq!(
        (updated("idle"), updated("off")),
        (two_days.into(), two_days.into())
    );
    assert_eq!(updated("busy"), "2026-11-25T10:00:00Z");
    assert_eq!(updated("dead"), "2026-11-25T10:00:00Z");
    assert_eq!(tf.now().duration_since(start).as_hours(), 49);
}

#[test]
fn jobs_leave_searches_and_reads_after_seven_days_and_cancel_answers_in_text() {
    let tf = TestflingerSim::start().expect("start");
    let body = r#"{"job_queue":"nobody","tags":["t"]}"#;
    let id = job_id(&call(&tf, "POST", "/v1/job", Some(body)).1);
    let cancel = Some(r#"{"action":"cancel"}"#);
    let action = format!("/v1/job/{id}/action");
    assert_eq!(call(&tf, "POST", &action, cancel), (200, "OK".into()));
    let ended = (400, "The job is already completed or cancelled".to_string());
    assert_eq!(call(&tf, "POST", &action, cancel), ended);

    let kept = job_id(&call(&tf, "POST", "/v1/job", Some(body)).1);
    tf.advance_clock(JOB_RETENTION_SECONDS - 1);
    let (_, found) = call(&tf, "GET", "/v1/job/search?tags=t", None);
    assert!(found.contains(&kept), "{found}");
    tf.advance_clock(1);
    assert_eq!(
        call(&tf, "GET", "/v1/job/search?tags=t", None),
        (200, "[]".into())
    );
    assert_eq!(call(&tf, "GET", &format!("/v1/job/{kept}"), None).0, 204);
    assert_eq!(call(&tf, "GET", &format!("/v1/result/{kept}"), None).0, 204);
    // Gone is unknown, and an unknown job answers a cancel like an ended one.
    let action = format!("/v1/job/{kept}/action");
    assert_eq!(call(&tf, "POST", &action, cancel), ended);
}
