//! The Docker client against the fake daemon over a real unix socket (through ureq's
//! connector): label AND filters, both filter encodings, version prefixes, `DOCKER_HOST`.

use std::time::Duration;

use super::version::negotiate;
use super::*;
use crate::clients::http::{Failure, Reader};
use crate::load::HttpSettings;
use crate::secret::Redactor;
use devicepool_sim::Fault;
use devicepool_sim::docker::DockerSim;

fn settings() -> HttpSettings {
    HttpSettings {
        retries: 2,
        backoff: Duration::from_millis(1),
        ..HttpSettings::default()
    }
}

fn reader(d: &DockerSim) -> Reader {
    DockerHost::parse(&d.host())
        .expect("host")
        .reader(&settings(), Redactor::default())
}

/// A raw GET over the socket through the same Reader: (status or error text).
fn get(d: &DockerSim, path: &str) -> Result<serde_json::Value, (u16, String)> {
    let got = reader(d).get_json::<serde_json::Value>(&crate::clients::http::Get {
        api: "docker",
        url: format!("http://localhost{path}"),
        query: Vec::new(),
        authorization: None,
    });
    got.map_err(|e| match e.failure {
        Failure::Status { status, excerpt } => (status, excerpt),
        other => (0, format!("{other:?}")),
    })
}

fn fleet() -> DockerSim {
    let d = DockerSim::start().expect("start");
    d.add_container(
        "runner-a",
        "gitlab/gitlab-runner:alpine",
        &[
            ("devicepool.managed", "true"),
            ("devicepool.pool", "autogit"),
        ],
        "running",
    );
    d.add_container(
        "runner-b",
        "gitlab/gitlab-runner:alpine",
        &[("devicepool.managed", "true"), ("devicepool.pool", "other")],
        "exited",
    );
    d.add_container(
        "mine-not",
        "postgres",
        &[("devicepool.pool", "autogit")],
        "running",
    );
    d
}

#[test]
fn label_filters_are_anded_and_all_includes_stopped() {
    let d = fleet();
    let host = DockerHost::parse(&d.host()).expect("host").base_url();
    let base = negotiate(&reader(&d), &host).expect("negotiated").base;
    assert_eq!(
        base, "http://localhost/v1.52",
        "the fake is a Docker 29.0 daemon"
    );
    let got = fetch_containers(
        &reader(&d),
        &base,
        &[
            ("devicepool.managed", "true"),
            ("devicepool.pool", "autogit"),
        ],
    )
    .expect("list");
    assert_eq!(
        got.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
        ["runner-a"]
    );
    assert_eq!(
        (got[0].state.as_str(), got[0].image.as_str()),
        ("running", "gitlab/gitlab-runner:alpine")
    );
    assert_eq!(got[0].id.len(), 64);
    let managed =
        fetch_containers(&reader(&d), &base, &[("devicepool.managed", "true")]).expect("list");
    assert_eq!(managed.len(), 2, "all=true lists the exited one too");
    let req = d.server().requests().pop().expect("logged");
    assert_eq!(req.path, "/v1.52/containers/json");
    assert_eq!(d.server().requests()[0].path, "/_ping", "negotiated first");
    assert_eq!(req.query_param("all").as_deref(), Some("true"));
    assert_eq!(
        req.query_param("filters").as_deref(),
        Some(r#"{"label":{"devicepool.managed=true":true}}"#)
    );
}

#[test]
fn the_fake_speaks_dockers_list_contract() {
    let d = fleet();
    let running = get(&d, "/containers/json").expect("unversioned");
    assert_eq!(
        running.as_array().expect("array").len(),
        2,
        "default: running only"
    );
    let row = &running[0];
    for key in [
        "Id", "Names", "Image", "State", "Status", "Labels", "Created",
    ] {
        assert!(!row[key].is_null(), "{key} in {row}");
    }
    assert!(row["Names"][0].as_str().expect("name").starts_with('/'));
    let legacy = get(&d, "/v1.44/containers/json?all=1&filters=%7B%22label%22%3A%5B%22devicepool.pool%3Dautogit%22%5D%7D").expect("legacy list form");
    assert_eq!(legacy.as_array().expect("array").len(), 2);
    let by_name = get(
        &d,
        "/v1.52/containers/json?all=1&filters=%7B%22name%22%3A%7B%22%5E%2Frunner-%22%3Atrue%7D%7D",
    )
    .expect("name regexp");
    assert_eq!(by_name.as_array().expect("array").len(), 2);
    let exited = get(
        &d,
        "/v1.47/containers/json?filters=%7B%22status%22%3A%5B%22exited%22%5D%7D",
    )
    .expect("status");
    assert_eq!(exited[0]["Names"][0], "/runner-b");
    assert_eq!(
        get(
            &d,
            "/v1.47/containers/json?filters=%7B%22bogus%22%3A%5B%5D%7D"
        )
        .expect_err("400")
        .0,
        400
    );
    assert_eq!(
        get(&d, "/v1.47/containers/json?filters=nope")
            .expect_err("400")
            .0,
        400
    );
}

#[test]
fn version_prefixes_are_checked_as_dockerd_checks_them_and_ping() {
    let d = fleet();
    assert!(get(&d, "/v1.44/containers/json").is_ok());
    assert!(get(&d, "/v1.52/containers/json").is_ok());
    assert!(get(&d, "/containers/json").is_ok(), "unversioned = newest");
    assert_eq!(
        get(&d, "/v1.53/containers/json").expect_err("new"),
        (400, r#"{"message":"client version 1.53 is too new. Maximum supported API version is 1.52"}"#.into())
    );
    assert_eq!(
        get(&d, "/v1.41/containers/json").expect_err("old"),
        (400, r#"{"message":"client version 1.41 is too old. Minimum supported API version is 1.44, please upgrade your client to a newer version"}"#.into())
    );
    let (status, text) = get(&d, "/v1.12/containers/json").expect_err("ancient");
    assert_eq!(status, 400);
    assert!(
        text.starts_with("client version 1.12 is too old"),
        "plain text: {text}"
    );
    assert_eq!(get(&d, "/version").expect("version")["ApiVersion"], "1.52");
    d.set_api_versions("1.24", "1.56");
    assert!(get(&d, "/v1.24/containers/json").is_ok());
    let version = get(&d, "/v1.56/version").expect("version");
    assert_eq!(
        (&version["ApiVersion"], &version["MinAPIVersion"]),
        (&"1.56".into(), &"1.24".into())
    );
    assert_eq!(
        negotiate(&reader(&d), "http://localhost")
            .expect("negotiated")
            .base,
        "http://localhost/v1.52",
        "never newer than devicepool's own"
    );
    d.set_api_versions("1.24", "1.41");
    assert_eq!(
        negotiate(&reader(&d), "http://localhost").expect("negotiated"),
        super::version::Negotiated {
            base: "http://localhost/v1.41".into(),
            version: super::version::OLDEST_API,
        },
        "a Podman 4 or Docker 20.10 daemon is spoken to in its own version"
    );
    d.set_api_versions("1.24", "1.40");
    let e = negotiate(&reader(&d), "http://localhost").expect_err("too old a daemon");
    assert!(
        e.to_string().contains("1.40") && e.to_string().contains("1.41"),
        "{e}"
    );
    let ping = d.server().requests().len();
    let text = reader(&d).get_json::<serde_json::Value>(&crate::clients::http::Get {
        api: "docker",
        url: "http://localhost/_ping".into(),
        query: Vec::new(),
        authorization: None,
    });
    assert!(
        matches!(text, Err(e) if matches!(e.failure, Failure::Decode(_))),
        "_ping answers text OK"
    );
    let logged = &d.server().requests()[ping];
    assert_eq!(
        (logged.method.as_str(), logged.path.as_str()),
        ("GET", "/_ping")
    );
    assert_eq!(
        logged.header("host"),
        Some("localhost"),
        "plain HTTP/1.1 over the socket"
    );
}

#[test]
fn server_errors_are_retried_and_a_missing_socket_is_a_transport_failure() {
    let d = fleet();
    d.server()
        .inject("GET", "/v1.52/containers/json", Fault::status(503).times(1));
    let base = "http://localhost/v1.52";
    assert_eq!(
        fetch_containers(&reader(&d), base, &[])
            .expect("after retry")
            .len(),
        3
    );
    d.server()
        .inject("GET", "/v1.52/containers/json", Fault::status(500).times(1));
    let e = fetch_containers(&reader(&d), base, &[]).expect_err("500 is not retried");
    assert!(
        matches!(e.failure, Failure::Status { status: 500, .. }),
        "{e}"
    );
    let host = DockerHost::Unix(d.socket_path().with_file_name("absent.sock"));
    let e = fetch_containers(&host.reader(&settings(), Redactor::default()), base, &[])
        .expect_err("absent");
    assert!(matches!(e.failure, Failure::Transport(_)), "{e}");
}

#[test]
fn docker_host_forms() {
    assert_eq!(
        DockerHost::parse("unix:///var/run/docker.sock"),
        Ok(DockerHost::Unix("/var/run/docker.sock".into()))
    );
    assert_eq!(
        DockerHost::parse("tcp://10.0.0.5:2375").map(|h| h.base_url()),
        Ok("http://10.0.0.5:2375".into())
    );
    assert_eq!(
        DockerHost::parse("tcp://dockerd").map(|h| h.base_url()),
        Ok("http://dockerd:2375".into())
    );
    assert!(DockerHost::parse("unix://relative.sock").is_err());
    assert!(DockerHost::parse("ssh://host").is_err());
    assert!(DockerHost::parse("/var/run/docker.sock").is_err());
}
