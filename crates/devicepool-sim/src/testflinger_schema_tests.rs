//! Every route the simulated Testflinger serves, checked against the upstream schemas kept in
//! `tests/upstream/testflinger/` (the openapi.json excerpt, and the bodies v1.py builds with
//! `jsonify`). Uses jsonschema and serde_json only, never devicepool's own decoders.

use base64::Engine as _;
use jsonschema::Validator;
use serde_json::{Value, json};

use super::TestflingerSim;
use crate::probe::{fetch, header};

const OPENAPI: &str = include_str!("../../../tests/upstream/testflinger/openapi-excerpt.json");
const BODIES: &str = include_str!("../../../tests/upstream/testflinger/v1-bodies.json");

/// One request: path, method, body, and the status and shape expected.
type Case = (String, &'static str, Option<&'static str>, (u16, Shape));

/// What a response must look like.
enum Shape {
    /// `paths[route][method].responses[status]` of openapi.json.
    Declared(&'static str, &'static str),
    /// A schema of openapi.json's `components` (the error bodies every route may send).
    Component(&'static str),
    /// A JSON list whose items match this schema of `v1-bodies.json`.
    ListOf(&'static str),
    /// A JSON list whose items match this schema of openapi.json's `components` (a route
    /// declared with `many=True`, which the generated openapi.json shows as one object).
    ListOfComponent(&'static str),
    /// One object matching this schema of `v1-bodies.json`.
    Built(&'static str),
    /// A `text/html` body, as Flask sends a returned string.
    Text(&'static str),
    /// No body at all (204).
    Empty,
}

/// The declared response schema, its `$ref`s resolved inside the excerpt.
fn declared(route: &str, method: &str, status: u16) -> Validator {
    let doc: Value = serde_json::from_str(OPENAPI).expect("excerpt is JSON");
    let schema = &doc["paths"][route][method]["responses"][status.to_string()]["content"]["application/json"]
        ["schema"];
    assert!(
        schema.is_object(),
        "openapi.json declares no JSON {status} for {method} {route}"
    );
    let root = json!({"components": doc["components"], "allOf": [schema]});
    jsonschema::validator_for(&root).expect("schema compiles")
}

fn component(name: &str) -> Validator {
    let doc: Value = serde_json::from_str(OPENAPI).expect("excerpt is JSON");
    let root = json!({"components": doc["components"],
        "allOf": [{"$ref": format!("#/components/schemas/{name}")}]});
    jsonschema::validator_for(&root).expect("schema compiles")
}

fn built(name: &str) -> Validator {
    let doc: Value = serde_json::from_str(BODIES).expect("bodies are JSON");
    assert!(doc[name].is_object(), "no {name} in v1-bodies.json");
    jsonschema::validator_for(&doc[name]).expect("schema compiles")
}

fn problems(validator: &Validator, body: &Value) -> Vec<String> {
    validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Sends one request and checks status and body shape.
fn check(tf: &TestflingerSim, method: &str, path: &str, body: Option<&str>, want: (u16, Shape)) {
    let (status, shape) = want;
    let (got, headers, text) = fetch(method, &format!("{}{path}", tf.url()), &[], body);
    let what = format!("{method} {path}");
    assert_eq!(got, status, "{what}: {text}");
    let json = || serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{what}: {e}"));
    let errors = match shape {
        Shape::Declared(route, m) => problems(&declared(route, m, status), &json()),
        Shape::Component(name) => problems(&component(name), &json()),
        Shape::Built(name) => problems(&built(name), &json()),
        Shape::ListOf(name) => every_item(&what, &json(), &built(name)),
        Shape::ListOfComponent(name) => every_item(&what, &json(), &component(name)),
        Shape::Text(expected) => {
            assert_eq!(
                header(&headers, "content-type"),
                Some("text/html; charset=utf-8")
            );
            assert_eq!(text, expected, "{what}");
            Vec::new()
        }
        Shape::Empty => {
            assert_eq!(text, "", "{what}");
            Vec::new()
        }
    };
    assert!(errors.is_empty(), "{what}: {errors:?}\n{text}");
}

fn every_item(what: &str, list: &Value, schema: &Validator) -> Vec<String> {
    let items = list
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not a list"));
    assert!(!items.is_empty(), "{what}: an empty list proves nothing");
    items.iter().flat_map(|i| problems(schema, i)).collect()
}

fn submit(tf: &TestflingerSim, body: &str) -> String {
    let (_, _, text) = fetch("POST", &format!("{}/v1/job", tf.url()), &[], Some(body));
    let reply: Value = serde_json::from_str(&text).expect("json");
    reply["job_id"].as_str().expect("job_id").to_string()
}

#[test]
fn the_declared_schemas_reject_what_the_server_would_not_send() {
    let result = declared("/v1/result/{job_id}", "get", 200);
    assert!(
        problems(
            &result,
            &json!({"job_state": "complete", "provision_status": 0})
        )
        .is_empty()
    );
    assert!(
        !problems(
            &result,
            &json!({"job_state": "complete", "bogus_status": 1})
        )
        .is_empty()
    );
    assert!(
        !problems(
            &result,
            &json!({"job_state": "complete", "setup_status": "1"})
        )
        .is_empty()
    );
    let agent = built("AgentRecord");
    assert!(!problems(&agent, &json!({"name": "a", "provision_streak_type": "ok"})).is_empty());
    assert!(!problems(&agent, &json!({"state": "waiting"})).is_empty());
}

#[test]
fn every_served_route_answers_in_the_upstream_shape() {
    let tf = TestflingerSim::start().expect("start");
    tf.add_agent(
        "tor3-a",
        "waiting",
        &["tor3-a", "tor3"],
        "TOR3",
        Some(("pass", 2)),
    );
    tf.add_agent("tor3-b", "waiting", &["tor3-b", "tor3"], "TOR3", None);
    let body = r#"{"job_queue":"tor3-a","tags":["devicepool","rack:r"],"name":"deploy",
        "provision_data":{"distro":"noble"},"reserve_data":{"timeout":"2h","ssh_keys":["lp:me"]},
        "test_data":{"test_cmds":"true"},"global_timeout":7200}"#;
    let done = submit(&tf, body);
    assert!(tf.complete_job(&done, &[("setup", 0), ("provision", 0), ("test", 1)]));
    let running = submit(&tf, r#"{"job_queue":"tor3","tags":["devicepool"]}"#);
    assert_eq!(tf.poll_agents().len(), 1);
    let waiting = submit(&tf, r#"{"job_queue":"tor3-b","tags":["devicepool"]}"#);
    let unknown = "00000000-0000-4000-8000-000000000000";
    let pair = base64::engine::general_purpose::STANDARD.encode("c:s");
    tf.add_client("c", "s", "contributor");

    use Shape::*;
    let job = "/v1/job/{job_id}";
    let result = "/v1/result/{job_id}";
    let cases: Vec<Case> = vec![
        (
            "/v1/".into(),
            "GET",
            None,
            (200, Text("Testflinger Server v1.5.0")),
        ),
        (
            "/v1/job".into(),
            "POST",
            Some(r#"{"job_queue":"q"}"#),
            (200, Declared("/v1/job", "post")),
        ),
        (
            "/v1/job".into(),
            "POST",
            Some(r#"{"queue":"q"}"#),
            (422, Declared("/v1/job", "post")),
        ),
        (
            format!("/v1/job/{done}"),
            "GET",
            None,
            (200, Declared(job, "get")),
        ),
        (
            "/v1/job/nope".into(),
            "GET",
            None,
            (400, Component("HTTPError")),
        ),
        (format!("/v1/job/{unknown}"), "GET", None, (204, Empty)),
        (
            "/v1/job/search?tags=devicepool&match=all".into(),
            "GET",
            None,
            (200, ListOf("SearchHit")),
        ),
        (
            "/v1/job/search?state=bogus".into(),
            "GET",
            None,
            (422, Declared("/v1/job/search", "get")),
        ),
        (
            format!("/v1/result/{done}"),
            "GET",
            None,
            (200, Declared(result, "get")),
        ),
        (
            format!("/v1/result/{running}"),
            "GET",
            None,
            (200, Declared(result, "get")),
        ),
        (
            format!("/v1/result/{waiting}"),
            "GET",
            None,
            (200, Declared(result, "get")),
        ),
        (format!("/v1/result/{unknown}"), "GET", None, (204, Empty)),
        (
            "/v1/result/nope".into(),
            "GET",
            None,
            (400, Component("HTTPError")),
        ),
        (
            format!("/v1/job/{waiting}/action"),
            "POST",
            Some(r#"{"action":"cancel"}"#),
            (200, Text("OK")),
        ),
        (
            format!("/v1/result/{waiting}"),
            "GET",
            None,
            (200, Declared(result, "get")),
        ),
        (
            format!("/v1/job/{waiting}/action"),
            "POST",
            Some(r#"{"action":"stop"}"#),
            (422, Declared("/v1/job/{job_id}/action", "post")),
        ),
        (
            format!("/v1/job/{waiting}/action"),
            "POST",
            Some(r#"{"action":"cancel"}"#),
            (400, Text("The job is already completed or cancelled")),
        ),
        (
            "/v1/agents/data".into(),
            "GET",
            None,
            (200, ListOf("AgentRecord")),
        ),
        (
            "/v1/agents/data/tor3-a".into(),
            "GET",
            None,
            (200, Built("AgentRecord")),
        ),
        (
            "/v1/agents/data/none".into(),
            "GET",
            None,
            (404, Declared("/v1/agents/data/{agent_name}", "get")),
        ),
        (
            "/v1/queues/tor3/agents".into(),
            "GET",
            None,
            (200, ListOfComponent("AgentOut")),
        ),
        (
            "/v1/queues/none/agents".into(),
            "GET",
            None,
            (404, Declared("/v1/queues/{queue_name}/agents", "get")),
        ),
        (
            "/v1/queues/tor3-a/jobs".into(),
            "GET",
            None,
            (200, ListOf("QueueJob")),
        ),
        ("/v1/queues/none/jobs".into(), "GET", None, (204, Empty)),
    ];
    for (path, method, body, want) in cases {
        check(&tf, method, &path, body, want);
    }
    // Token reply, then the auth errors every route shares.
    let basic = format!("Basic {pair}");
    let (status, _, text) = fetch(
        "POST",
        &format!("{}/v1/oauth2/token", tf.url()),
        &[("authorization", &basic)],
        None,
    );
    assert_eq!(status, 200);
    assert!(
        problems(
            &built("TokenReply"),
            &serde_json::from_str(&text).expect("json")
        )
        .is_empty(),
        "{text}"
    );
    check(
        &tf,
        "POST",
        "/v1/oauth2/token",
        None,
        (401, Text("No authorization header specified")),
    );
    tf.set_auth_required(true);
    check(
        &tf,
        "GET",
        "/v1/agents/data",
        None,
        (401, Component("HTTPError")),
    );
    let (status, _, text) = fetch(
        "GET",
        &format!("{}/v1/agents/data", tf.url()),
        &[("authorization", "Bearer x.y.z")],
        None,
    );
    assert_eq!(status, 403);
    assert!(
        problems(
            &component("HTTPError"),
            &serde_json::from_str(&text).expect("json")
        )
        .is_empty()
    );
}

#[test]
fn a_result_with_real_sized_logs_keeps_the_upstream_shape() {
    let tf = TestflingerSim::start().expect("start");
    tf.add_agent("tor3-a", "waiting", &["tor3-a"], "TOR3", None);
    let done = submit(&tf, r#"{"job_queue":"tor3-a","tags":["devicepool"]}"#);
    assert!(tf.complete_job(&done, &[("setup", 0), ("provision", 1)]));
    tf.set_result_log_bytes(50_000);
    let path = format!("/v1/result/{done}");
    let shape = Shape::Declared("/v1/result/{job_id}", "get");
    check(&tf, "GET", &path, None, (200, shape));
    let (_, _, text) = fetch("GET", &format!("{}{path}", tf.url()), &[], None);
    let result: Value = serde_json::from_str(&text).expect("json");
    for phase in ["setup", "provision"] {
        for log in ["output", "serial"] {
            let key = format!("{phase}_{log}");
            // Once: a JSON object from the server never repeats a key (a parser keeping the
            // first would see the short log).
            assert_eq!(text.matches(&format!("\"{key}\":")).count(), 1, "{key}");
            let bytes = result[&key].as_str().map_or(0, str::len);
            assert!((50_000..50_100).contains(&bytes), "{key}: {bytes}");
        }
    }
    assert_eq!(
        (
            &result["provision_status"],
            &result["device_info"]["device_ip"]
        ),
        (&json!(1), &json!("10.102.0.17"))
    );
    assert!(
        result["setup_output"]
            .as_str()
            .unwrap()
            .contains("BEGIN setup")
    );
}
