//! Tests of the read-only HTTP layer: URL display, excerpts, encoding, and which failures
//! are retried (counted on a fake's request log).

use super::*;

#[test]
fn hides_userinfo_and_shows_the_query() {
    let query = vec![("cursor", "a b".to_string())];
    assert_eq!(
        display_url("https://u:p@example.com/v1/jobs", &query),
        "https://example.com/v1/jobs?cursor=a%20b"
    );
}

#[test]
fn excerpts_are_short_and_flat() {
    let long = "x ".repeat(500);
    let shown = Redactor::default().excerpt(&long, ERROR_EXCERPT);
    assert!(shown.chars().count() <= ERROR_EXCERPT.chars + 1);
    assert!(!shown.contains('\n'));
}

/// Answers every request with `{}`.
struct Empty;
impl devicepool_sim::http::Api for Empty {
    fn handle(&self, _: &devicepool_sim::http::Request) -> devicepool_sim::http::Response {
        devicepool_sim::http::Response::json(200, &serde_json::json!({}))
    }
    fn error(
        &self,
        status: u16,
        _: &devicepool_sim::http::Request,
    ) -> devicepool_sim::http::Response {
        devicepool_sim::http::Response::text(status, "error")
    }
}

#[test]
fn a_stalled_get_is_held_after_one_timeout_and_a_503_is_retried() {
    use devicepool_sim::fault::Fault;
    let server = devicepool_sim::server::SimServer::start(std::sync::Arc::new(Empty)).unwrap();
    let settings = HttpSettings {
        timeout: Duration::from_millis(200),
        retries: 2,
        backoff: Duration::from_millis(1),
        ..HttpSettings::default()
    };
    let reader = Reader::new(&settings, Redactor::default());
    let get = |path: &str| Get {
        api: "test",
        url: format!("{}{path}", server.url()),
        query: Vec::new(),
        authorization: None,
    };
    server.inject("GET", "/slow", Fault::delay(1000));
    server.inject("GET", "/busy", Fault::status(503).times(1));
    let stalled = reader.get_json::<serde_json::Value>(&get("/slow"));
    assert!(matches!(
        stalled,
        Err(ApiError {
            failure: Failure::Transport(_),
            ..
        })
    ));
    let busy = reader.get_json::<serde_json::Value>(&get("/busy"));
    assert_eq!(busy, Ok(serde_json::json!({})));
    let paths: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/slow", "/busy", "/busy"]);
}

#[test]
fn encodes_slashes_in_segments() {
    assert_eq!(
        encode_component("proj-autophone/gecko-t"),
        "proj-autophone%2Fgecko-t"
    );
}
