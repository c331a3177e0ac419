//! The GitLab executor against the fake GitLab over real loopback HTTP: create (token kept
//! secret), pause, delete then delete again (404 = already gone), no retry once sent.

use std::time::Duration;

use super::{NewRunner, create_runner, delete_runner, pause_runner};
use crate::clients::http::Failure;
use crate::clients::http_send::{Removal, Writer};
use crate::load::HttpSettings;
use crate::secret::{Redactor, Secret};
use devicepool_sim::Fault;
use devicepool_sim::gitlab::GitlabSim;
use devicepool_sim::probe::fetch;

fn settings() -> HttpSettings {
    HttpSettings {
        retries: 2,
        backoff: Duration::from_millis(1),
        ..HttpSettings::default()
    }
}

fn writer() -> Writer {
    Writer::new(&settings(), Redactor::default())
}

fn admin(gl: &GitlabSim) -> Secret {
    Secret::new(gl.admin_token())
}

#[test]
fn create_pause_delete_and_delete_again() {
    let gl = GitlabSim::start().expect("start");
    let tags = ["autogit".to_string(), "docker".to_string()];
    let new = NewRunner {
        runner_type: "instance_type",
        description: "devicepool autogit",
        tag_list: &tags,
        ..NewRunner::default()
    };
    let user = Secret::new(gl.user_token());
    let e = create_runner(&writer(), &gl.url(), &user, &new)
        .expect_err("instance runners need an admin");
    assert!(
        matches!(e.failure, Failure::Status { status: 403, .. }),
        "{e}"
    );
    let created = create_runner(&writer(), &gl.url(), &admin(&gl), &new).expect("created");
    let sim = gl
        .runners()
        .into_iter()
        .find(|r| r.id == created.id)
        .expect("exists");
    assert_eq!(created.token.expose(), sim.token);
    assert!(sim.token.starts_with("glrt-"));
    assert_eq!(
        (sim.tags, sim.description.as_str()),
        (tags.to_vec(), "devicepool autogit")
    );
    assert!(
        !format!("{created:?}").contains(&sim.token),
        "Debug hides the token"
    );
    pause_runner(
        &writer(),
        &gl.url(),
        &admin(&gl),
        created.id,
        "why: because",
    )
    .expect("paused");
    assert!(gl.runners().iter().any(|r| r.id == created.id
        && r.paused
        && r.maintenance_note.as_deref() == Some("why: because")));
    let put = gl
        .server()
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("put");
    assert_eq!(put.body, b"paused=true&maintenance_note=why%3A%20because");
    let long = "x".repeat(1025);
    let e = pause_runner(&writer(), &gl.url(), &admin(&gl), created.id, &long)
        .expect_err("GitLab caps the note at 1024 characters");
    assert!(
        matches!(e.failure, Failure::Status { status: 400, .. }),
        "{e}"
    );
    assert_eq!(
        delete_runner(&writer(), &gl.url(), &admin(&gl), created.id).expect("gone"),
        Removal::Removed
    );
    assert_eq!(
        delete_runner(&writer(), &gl.url(), &admin(&gl), created.id).expect("gone"),
        Removal::AlreadyGone
    );
    let url = format!("{}/api/v4/runners/{}", gl.url(), created.id);
    let (status, _, body) = fetch(
        "DELETE",
        &url,
        &[("PRIVATE-TOKEN", &gl.admin_token())],
        None,
    );
    assert_eq!(
        (status, body.as_str()),
        (404, r#"{"message":"404 Runner Not Found"}"#)
    );
    // A 404 that is not GitLab's "no such runner" (a wrong base URL) is not success.
    let e =
        delete_runner(&writer(), &format!("{}/nope", gl.url()), &admin(&gl), 1).expect_err("404");
    assert!(matches!(e.failure, Failure::Status { status: 404, .. }));
    // Mutations are not retried once sent.
    let r = gl.add_runner("x", &[], false);
    gl.server().clear_requests();
    gl.server()
        .inject("DELETE", "/api/v4/runners", Fault::status(503).times(1));
    assert!(delete_runner(&writer(), &gl.url(), &admin(&gl), r).is_err());
    assert_eq!(gl.server().requests().len(), 1);
}

#[test]
fn the_runner_token_never_shows_in_errors() {
    let gl = GitlabSim::start().expect("start");
    let leaked = "glrt-SECRETVALUE1234567";
    for body in [
        format!(r#"{{"id":"{leaked}","token":"{leaked}"}}"#),
        format!(r#"{{"id":3,"token":7,"x":"{leaked}"}}"#),
        format!("{leaked} not json"),
    ] {
        gl.server().inject(
            "POST",
            "/api/v4/user/runners",
            Fault::status(201).times(1).with_body(&body),
        );
        let new = NewRunner {
            runner_type: "instance_type",
            ..NewRunner::default()
        };
        let e = create_runner(&writer(), &gl.url(), &admin(&gl), &new).expect_err("malformed");
        assert!(!format!("{e} {e:?}").contains(leaked), "{e:?}");
    }
    // Refusals that echo a known secret are scrubbed.
    let mut redactor = Redactor::default();
    redactor.add(&Secret::new(leaked));
    let w = Writer::new(&settings(), redactor);
    gl.server().inject(
        "POST",
        "/api/v4/user/runners",
        Fault::status(400)
            .times(1)
            .with_body(&format!(r#"{{"message":"bad {leaked}"}}"#)),
    );
    let new = NewRunner {
        runner_type: "instance_type",
        ..NewRunner::default()
    };
    let e = create_runner(&w, &gl.url(), &admin(&gl), &new).expect_err("400");
    assert!(!format!("{e} {e:?}").contains(leaked), "{e:?}");
}
