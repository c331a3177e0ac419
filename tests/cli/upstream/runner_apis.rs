//! The GitLab and Docker fakes (runner pools) against GitLab's entities and the Engine API
//! description, route by route.

use devicepool_sim::Fleet;
use serde_json::{Value, json};

use super::{call, check, docker};

#[test]
fn the_gitlab_fake_answers_as_gitlabs_entities() {
    let fleet = Fleet::start().unwrap();
    let gl = &fleet.gitlab;
    let admin = gl.admin_token();
    let api = |path: &str| format!("{}/api/v4{path}", gl.url());
    let get = |path: &str| call("GET", &api(path), &[("PRIVATE-TOKEN", &admin)], None);
    let busy = gl.add_runner("devicepool-autogit-1-1", &["autogit"], false);
    let idle = gl.add_runner("devicepool-autogit-1-2", &["autogit"], false);
    gl.contact(busy);
    let running = gl.add_pending_job("group/app", &["autogit"]);
    gl.pick_up(running, busy);
    gl.add_pending_job("group/app", &["autogit", "docker"]);
    let failed = gl.add_pending_job("group/app", &["autogit"]);
    gl.pick_up(failed, idle);
    gl.finish_job(failed, "failed");

    for path in [
        "/runners/all",
        "/runners/all?status=online&tag_list=autogit",
    ] {
        for runner in get(path).json().as_array().unwrap() {
            check("gitlab/runner.schema.json", runner, path);
        }
    }
    let own = call(
        "GET",
        &api("/runners"),
        &[("Authorization", &format!("Bearer {}", gl.user_token()))],
        None,
    );
    for runner in own.json().as_array().unwrap() {
        check("gitlab/runner.schema.json", runner, "/runners");
    }
    check(
        "gitlab/runner-details.schema.json",
        &get(&format!("/runners/{busy}")).json(),
        "/runners/:id",
    );
    for path in [
        format!("/runners/{busy}/jobs?status=running"),
        format!("/runners/{idle}/jobs"),
    ] {
        let jobs = get(&path).json();
        assert!(!jobs.as_array().unwrap().is_empty(), "{path}");
        for job in jobs.as_array().unwrap() {
            check("gitlab/job-basic-with-project.schema.json", job, &path);
        }
    }
    let jobs =
        get("/projects/group%2Fapp/jobs?scope[]=pending&scope[]=running&scope[]=failed").json();
    assert_eq!(jobs.as_array().unwrap().len(), 3);
    for job in jobs.as_array().unwrap() {
        check("gitlab/job.schema.json", job, "/projects/:id/jobs");
    }
    let paused = call(
        "PUT",
        &api(&format!("/runners/{idle}?paused=true")),
        &[("PRIVATE-TOKEN", &admin)],
        None,
    );
    check(
        "gitlab/runner-details.schema.json",
        &paused.json(),
        "PUT /runners/:id",
    );
    let form = [
        ("PRIVATE-TOKEN", admin.as_str()),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ];
    let created = call(
        "POST",
        &api("/user/runners"),
        &form,
        Some("runner_type=instance_type&tag_list=autogit"),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    check(
        "gitlab/runner-registration-details.schema.json",
        &created.json(),
        "POST /user/runners",
    );
    let deleted = call(
        "DELETE",
        &api(&format!("/runners/{idle}")),
        &[("PRIVATE-TOKEN", &admin)],
        None,
    );
    assert_eq!((deleted.status, deleted.body.as_str()), (204, ""));
    for (answer, status) in [
        (get(&format!("/runners/{idle}")), 404),
        (call("GET", &api("/runners/all"), &[], None), 401),
        (get("/projects/group%2Fapp/jobs?scope[]=bogus"), 400),
        (get("/runners/all?type=bogus"), 400),
    ] {
        assert_eq!(answer.status, status, "{}", answer.body);
        check("gitlab/error.schema.json", &answer.json(), "an error");
    }
}

#[test]
fn the_docker_fake_answers_as_the_engine_api_describes() {
    let fleet = Fleet::start().unwrap();
    let d = &fleet.docker;
    let socket = d.socket_path();
    d.add_image("gitlab/gitlab-runner:latest");
    d.add_container("exited-one", "busybox", &[("team", "ci")], "exited");
    let ping = docker(&socket, "GET", "/_ping", None);
    assert_eq!((ping.status, ping.body.as_str()), (200, "OK"));
    let headers: serde_json::Map<String, Value> = ping
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), json!(v)))
        .collect();
    check(
        "docker/ping-headers.schema.json",
        &Value::Object(headers),
        "/_ping headers",
    );
    check(
        "docker/system-version.schema.json",
        &docker(&socket, "GET", "/v1.52/version", None).json(),
        "/version",
    );
    let body = json!({"Image": "gitlab/gitlab-runner:latest", "Cmd": ["run"], "Labels": {"devicepool.pool": "autogit"},
        "HostConfig": {"NetworkMode": "bridge"}})
    .to_string();
    let created = docker(
        &socket,
        "POST",
        "/v1.52/containers/create?name=runner-1",
        Some(&body),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    check(
        "docker/container-create-response.schema.json",
        &created.json(),
        "create",
    );
    let id = created.json()["Id"].as_str().unwrap().to_string();
    let started = docker(
        &socket,
        "POST",
        &format!("/v1.52/containers/{id}/start"),
        None,
    );
    assert_eq!((started.status, started.body.as_str()), (204, ""));
    let listed = docker(&socket, "GET", "/v1.52/containers/json?all=1", None).json();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    check(
        "docker/container-summary.schema.json",
        &listed,
        "/containers/json",
    );
    let errors = [
        (
            docker(&socket, "DELETE", &format!("/v1.52/containers/{id}"), None),
            409,
        ),
        (
            docker(&socket, "DELETE", "/v1.52/containers/nope", None),
            404,
        ),
        (
            docker(&socket, "GET", "/v1.52/containers/json?filters=nope", None),
            400,
        ),
        (docker(&socket, "GET", "/v1.41/containers/json", None), 400),
        (docker(&socket, "GET", "/v1.53/containers/json", None), 400),
        (docker(&socket, "GET", "/v1.52/no/such/route", None), 404),
    ];
    for (answer, status) in errors {
        assert_eq!(answer.status, status, "{}", answer.body);
        check(
            "docker/error-response.schema.json",
            &answer.json(),
            "an error",
        );
    }
    let removed = docker(
        &socket,
        "DELETE",
        &format!("/v1.52/containers/{id}?force=1"),
        None,
    );
    assert_eq!((removed.status, removed.body.as_str()), (204, ""));
    // version.go sets these on every routed answer, refusals included.
    let refused = docker(&socket, "GET", "/v1.41/containers/json", None);
    assert_eq!(refused.header("api-version"), Some("1.52"));
    assert_eq!(refused.header("ostype"), Some("linux"));
}
