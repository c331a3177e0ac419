//! Submitting one Testflinger job (`POST /v1/job`): the one mutating Testflinger call.
//! Retried only when the connection failed before any request went out; a refusal (401, 403,
//! 422) comes back with the server's message. Decides nothing about what to submit.

use serde::Deserialize;
use serde_json::Value;

use super::http::{Mutation, Payload, Writer};
use crate::secret::Secret;
use crate::sources::http::{ApiError, Failure, excerpt};

const API: &str = "testflinger";

#[derive(Deserialize)]
struct JobId {
    job_id: String,
}

/// The server's words for a refusal: APIFlask's `message` plus any field `detail`, or the
/// plain-text body.
fn server_message(body: &str) -> String {
    match serde_json::from_str::<Value>(body) {
        Ok(v) if v["message"].is_string() => {
            let message = v["message"].as_str().unwrap_or_default();
            match &v["detail"] {
                Value::Object(d) if !d.is_empty() => {
                    excerpt(&format!("{message}: {}", v["detail"]))
                }
                _ => excerpt(message),
            }
        }
        _ => excerpt(body),
    }
}

/// `POST <base>/v1/job` with `job_json`; returns the new job's id.
pub fn submit_job(
    writer: &Writer,
    base: &str,
    bearer: Option<&Secret>,
    job_json: &Value,
) -> Result<String, ApiError> {
    let auth = bearer.map(Secret::bearer);
    let m = Mutation {
        api: API,
        method: "POST",
        url: format!("{}/v1/job", base.trim_end_matches('/')),
        query: Vec::new(),
        authorization: auth.as_ref().map(Secret::expose),
        payload: Payload::Json(job_json.to_string()),
    };
    let answer = writer.send(&m)?;
    let text = answer.body.as_str();
    if answer.status != 200 {
        return Err(writer.refused(&m, &answer, server_message(text)));
    }
    decode_submitted_job(text).map_err(|e| writer.fail(&m, Failure::Decode(e)))
}

/// The 200 body of `POST /v1/job` → the new job's id.
pub(super) fn decode_submitted_job(text: &str) -> Result<String, String> {
    let answer: JobId =
        serde_json::from_str(text).map_err(|e| format!("{e} (body starts {:?})", excerpt(text)))?;
    Ok(answer.job_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::HttpSettings;
    use crate::sources::testflinger::fetch_token;
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
        let e = submit_job(&w, &tf.url(), None, &json!({"job_queue": "q", "bogus": 1}))
            .expect_err("422");
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
        let reader = crate::sources::http::Reader::new(
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
}
