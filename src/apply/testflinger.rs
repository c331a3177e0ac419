//! Submitting one Testflinger job (`POST /v1/job`): the one mutating Testflinger call.
//! Retried only when the connection failed before any request went out; a refusal (401, 403,
//! 422) comes back with the server's message. Decides nothing about what to submit.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::load::HttpSettings;
use crate::secret::Secret;
use crate::sources::http::{ApiError, Failure, display_url, excerpt, read_body};

const API: &str = "testflinger";

/// An HTTP client for mutating calls: same timeout and body cap as the readers, no retries
/// once a request may have reached the server.
#[derive(Clone)]
pub struct Writer {
    agent: ureq::Agent,
    retries: u32,
    backoff: Duration,
    max_body: u64,
}

impl Writer {
    pub fn new(settings: &HttpSettings) -> Writer {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(settings.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("devicepool/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Writer {
            agent,
            retries: settings.retries,
            backoff: settings.backoff,
            max_body: settings.max_body_bytes,
        }
    }
}

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
    let url = format!("{}/v1/job", base.trim_end_matches('/'));
    let fail = |failure| ApiError {
        api: API,
        method: "POST",
        url: display_url(&url, &[]),
        failure,
    };
    let auth = bearer.map(|t| Secret::new(format!("Bearer {}", t.expose())));
    let body = job_json.to_string();
    let mut attempt = 0;
    let mut response = loop {
        let mut request = writer
            .agent
            .post(&url)
            .header("accept", "application/json")
            .header("content-type", "application/json");
        if let Some(auth) = &auth {
            request = request.header("authorization", auth.expose());
        }
        match request.send(body.as_str()) {
            Ok(response) => break response,
            // Nothing was sent: safe to try again.
            Err(ureq::Error::ConnectionFailed) if attempt < writer.retries => {
                attempt += 1;
                std::thread::sleep(writer.backoff * 2u32.saturating_pow(attempt - 1));
            }
            Err(e) => return Err(fail(Failure::Transport(e.to_string()))),
        }
    };
    let status = response.status().as_u16();
    let text = read_body(&mut response, status, writer.max_body).map_err(fail)?;
    if status != 200 {
        return Err(fail(Failure::Status {
            status,
            excerpt: server_message(&text),
        }));
    }
    let answer: JobId = serde_json::from_str(&text).map_err(|e| {
        fail(Failure::Decode(format!(
            "{e} (body starts {:?})",
            excerpt(&text)
        )))
    })?;
    Ok(answer.job_id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::testflinger::TestflingerSim;
    use crate::sources::testflinger::fetch_token;
    use serde_json::json;

    fn writer() -> Writer {
        Writer::new(&HttpSettings::default())
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
            &Writer::new(&settings),
            &url,
            None,
            &json!({"job_queue": "q"}),
        )
        .expect_err("refused");
        assert!(matches!(e.failure, Failure::Transport(_)), "{e}");
    }
}
