//! The Docker executor against the fake daemon over a real unix socket: create (body shape,
//! 409 on a taken name, 404 on an unknown image), start (204/304), remove (409 without force
//! when running, 204, then 404 = already gone), no retry once sent.

use std::time::Duration;

use super::{ContainerSpec, create_container, remove_container, start_container, writer_for};
use crate::clients::docker::DockerHost;
use crate::clients::http::Failure;
use crate::clients::http_send::{Removal, Writer};
use crate::load::HttpSettings;
use crate::secret::{Redactor, Secret};
use devicepool_sim::Fault;
use devicepool_sim::docker::DockerSim;

/// The base `docker_version::negotiate` gives for the fake (a Docker 29.0 daemon).
const BASE: &str = "http://localhost/v1.52";

fn writer(d: &DockerSim) -> Writer {
    let settings = HttpSettings {
        retries: 2,
        backoff: Duration::from_millis(1),
        ..HttpSettings::default()
    };
    writer_for(
        &DockerHost::parse(&d.host()).expect("host"),
        &settings,
        Redactor::default(),
    )
}

fn spec() -> ContainerSpec {
    ContainerSpec {
        image: "gitlab/gitlab-runner:alpine".into(),
        cmd: vec!["run".into()],
        env: vec![(
            "RUNNER_TOKEN".into(),
            Secret::new("glrt-EnvSecret000000001"),
        )],
        labels: [("devicepool.managed".to_string(), "true".to_string())].into(),
        config: serde_json::Map::new(),
        host_config: serde_json::json!({
            "NanoCpus": 4_000_000_000_i64, "Memory": 6_i64 << 30, "NetworkMode": "autogit-network",
            "CapDrop": ["ALL"], "CapAdd": ["CHOWN", "SETGID", "SETUID"],
            "SecurityOpt": ["no-new-privileges"],
        })
        .as_object()
        .unwrap()
        .clone(),
    }
}

fn status(e: crate::clients::http::ApiError) -> (u16, String) {
    match e.failure {
        Failure::Status { status, excerpt } => (status, excerpt),
        other => panic!("not a status: {other:?}"),
    }
}

#[test]
fn create_start_and_remove_a_runner_container() {
    let d = DockerSim::start().expect("start");
    let w = writer(&d);
    let e = create_container(&w, BASE, "runner-1", &spec()).expect_err("image not pulled");
    assert_eq!(
        status(e),
        (404, "No such image: gitlab/gitlab-runner:alpine".into())
    );
    d.add_image("gitlab/gitlab-runner:alpine");
    let id = create_container(&w, BASE, "runner-1", &spec()).expect("created");
    let c = d.containers().pop().expect("one");
    assert_eq!(
        (c.id.as_str(), c.name.as_str(), c.state.as_str()),
        (id.as_str(), "runner-1", "created")
    );
    assert_eq!(c.env, ["RUNNER_TOKEN=glrt-EnvSecret000000001"]);
    assert_eq!(c.labels["devicepool.managed"], "true");
    assert_eq!(c.host_config["NanoCpus"], 4_000_000_000_i64);
    assert_eq!(c.host_config["CapDrop"][0], "ALL");
    assert_eq!(c.host_config["SecurityOpt"][0], "no-new-privileges");
    assert!(
        !format!("{:?}", spec()).contains("glrt-EnvSecret"),
        "env values are secrets"
    );
    let e = create_container(&w, BASE, "runner-1", &spec()).expect_err("name taken");
    let (code, text) = status(e);
    assert!(
        code == 409 && text.contains("is already in use by container"),
        "{text}"
    );
    let e = create_container(&w, BASE, "bad name!", &spec()).expect_err("bad name");
    assert_eq!(status(e).0, 400);
    start_container(&w, BASE, &id).expect("204");
    start_container(&w, BASE, "runner-1").expect("304 is fine");
    assert_eq!(d.containers()[0].state, "running");
    let e = start_container(&w, BASE, "nope").expect_err("404");
    assert_eq!(status(e), (404, "No such container: nope".into()));
    let e = remove_container(&w, BASE, &id[..12], false).expect_err("running");
    assert_eq!(status(e).0, 409);
    assert_eq!(
        remove_container(&w, BASE, &id[..12], true).expect("forced"),
        Removal::Removed
    );
    assert_eq!(
        remove_container(&w, BASE, &id, true).expect("again"),
        Removal::AlreadyGone
    );
    assert!(d.containers().is_empty());
    let log = d.server().requests();
    assert!(log.iter().all(|r| r.path.starts_with("/v1.52/")));
    let delete = log.iter().rfind(|r| r.method == "DELETE").expect("delete");
    assert_eq!(delete.query, format!("force=true&v=true"));
}

#[test]
fn removal_of_stopped_containers_and_no_retry_once_sent() {
    let d = DockerSim::start().expect("start");
    let w = writer(&d);
    let id = d.add_container("old", "busybox", &[], "running");
    d.kill(&id);
    assert_eq!(
        remove_container(&w, BASE, "old", false).expect("exited"),
        Removal::Removed
    );
    let other = d.add_container("gone", "busybox", &[], "exited");
    d.remove(&other);
    assert_eq!(
        remove_container(&w, BASE, &other, false).expect("404"),
        Removal::AlreadyGone
    );
    let id = d.add_container("x", "busybox", &[], "exited");
    d.server().clear_requests();
    d.server()
        .inject("DELETE", "/v1.52/containers", Fault::status(500).times(1));
    assert_eq!(
        status(remove_container(&w, BASE, &id, true).expect_err("500")).0,
        500
    );
    assert_eq!(
        d.server().requests().len(),
        1,
        "a sent mutation is not retried"
    );
    // Podman's compatible API words its 404 its own way (Podman 4.3.1, as answered).
    let podman = r#"{"cause":"no such container","message":"no container with name or ID \"x\" found: no such container","response":404}"#;
    d.server().inject(
        "DELETE",
        "/v1.52/containers",
        Fault::status(404).with_body(podman).times(1),
    );
    assert_eq!(
        remove_container(&w, BASE, &id, true).expect("podman's 404"),
        Removal::AlreadyGone
    );
    // A 404 route (not "No such container") is not success.
    let e = remove_container(&w, "http://localhost/nope", &id, true).expect_err("route");
    assert_eq!(status(e).0, 404);
}

/// The seed's runner container: socket bind, GPUs, DRI devices, restart policy, a user.
const SEED_LIKE: &str = r#"{
  "Image": "gitlab/gitlab-runner:alpine", "Cmd": ["run"], "User": "root",
  "Env": {"RUNNER_TOKEN": "glrt-EnvSecret000000001"},
  "Labels": {"devicepool.managed": "true"},
  "HostConfig": {
    "NanoCpus": 4000000000, "CapDrop": ["ALL"], "SecurityOpt": ["no-new-privileges:true"],
    "Binds": ["/var/run/docker.sock:/var/run/docker.sock"],
    "Devices": [{"PathOnHost": "/dev/dri", "PathInContainer": "/dev/dri", "CgroupPermissions": "rwm"}],
    "DeviceRequests": [{"Driver": "nvidia", "Count": -1, "Capabilities": [["gpu"]]}],
    "RestartPolicy": {"Name": "unless-stopped"}, "UsernsMode": "host"
  }
}"#;

#[test]
fn every_field_of_the_rendered_spec_reaches_the_daemon() {
    let d = DockerSim::start().expect("start");
    d.add_image("gitlab/gitlab-runner:alpine");
    let spec = ContainerSpec::from_json(SEED_LIKE).expect("a usable spec");
    create_container(&writer(&d), BASE, "runner-1", &spec).expect("created");
    let c = d.containers().pop().expect("one");
    let h = &c.host_config;
    assert_eq!(h["Binds"][0], "/var/run/docker.sock:/var/run/docker.sock");
    assert_eq!(h["Devices"][0]["PathOnHost"], "/dev/dri");
    assert_eq!(h["DeviceRequests"][0]["Capabilities"][0][0], "gpu");
    assert_eq!(h["RestartPolicy"]["Name"], "unless-stopped");
    assert_eq!(h["UsernsMode"], "host");
    assert_eq!(h["CapDrop"][0], "ALL");
    assert_eq!(c.env, ["RUNNER_TOKEN=glrt-EnvSecret000000001"]);
    let create = d.server().requests().pop().expect("the create");
    let body: serde_json::Value = serde_json::from_slice(&create.body).expect("JSON");
    assert_eq!(body["User"], "root", "top-level fields pass too");
}

#[test]
fn keys_docker_would_ignore_are_refused_not_dropped() {
    use serde_json::json;
    // (expected in the error, section ("" = top level), key, value)
    let cases = [
        ("Binds", "", "Binds", json!(["/a:/a"])),
        ("HostConfig.Gpus", "HostConfig", "Gpus", json!("all")),
        (
            "HostConfig.ContainerIDFile",
            "HostConfig",
            "ContainerIDFile",
            json!("/id"),
        ),
        ("Name", "", "Name", json!("mine")),
        ("Env X", "Env", "X", json!(1)),
        ("label n", "Labels", "n", json!(true)),
    ];
    for (needle, section, key, value) in cases {
        let mut v: serde_json::Value = serde_json::from_str(SEED_LIKE).unwrap();
        let target = if section.is_empty() {
            &mut v
        } else {
            &mut v[section]
        };
        target[key] = value;
        let e = ContainerSpec::from_json(&v.to_string()).expect_err(needle);
        assert!(e.contains(needle), "{needle}: {e}");
    }
    assert!(ContainerSpec::from_json(SEED_LIKE).is_ok());
    assert!(
        ContainerSpec::from_json(r#"{"Cmd": ["x"]}"#).is_err(),
        "no Image"
    );
}

/// Why a key newer than the daemon is refused, not sent: a daemon older than 1.43 (the fake
/// as Docker 20.10 or Podman 4) drops `HostConfig.Annotations` and creates the container
/// without it.
#[test]
fn a_daemon_older_than_a_key_drops_it_silently() {
    let d = DockerSim::start().expect("start");
    d.add_image("busybox");
    d.set_api_versions("1.12", "1.41");
    let mut s = spec();
    s.image = "busybox".into();
    s.host_config
        .insert("Annotations".into(), serde_json::json!({"a": "b"}));
    create_container(&writer(&d), "http://localhost/v1.41", "old", &s).expect("created");
    let created = &d.containers()[0];
    assert_eq!(created.host_config["Annotations"], serde_json::Value::Null);
    assert_eq!(created.host_config["CapDrop"][0], "ALL", "the rest arrives");
}
