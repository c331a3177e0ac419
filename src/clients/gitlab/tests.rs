//! The GitLab client and executor against the fake GitLab over real loopback HTTP: paging by
//! `X-Next-Page`, permissions, filters, rate limits, delete-then-404, and token secrecy.

use std::time::Duration;

use super::*;
use crate::clients::http::{Failure, Reader};
use crate::load::HttpSettings;
use crate::secret::{Redactor, Secret};
use devicepool_sim::Fault;
use devicepool_sim::gitlab::GitlabSim;
use devicepool_sim::probe::{fetch, header};

fn settings() -> HttpSettings {
    HttpSettings {
        retries: 2,
        backoff: Duration::from_millis(1),
        ..HttpSettings::default()
    }
}

fn reader() -> Reader {
    Reader::new(&settings(), Redactor::default())
}

fn admin(gl: &GitlabSim) -> Secret {
    Secret::new(gl.admin_token())
}

#[test]
fn pages_follow_x_next_page_until_empty() {
    let gl = GitlabSim::start().expect("start");
    for i in 0..205 {
        gl.add_runner(&format!("r{i}"), &["docker"], false);
    }
    let all = RunnerFilter {
        all: true,
        ..RunnerFilter::default()
    };
    let runners = fetch_runners(&reader(), &gl.url(), &admin(&gl), &all).expect("runners");
    assert_eq!(runners.len(), 205);
    assert_eq!(runners[204].description, "r204");
    let log = gl.server().requests();
    assert_eq!(log.len(), 3, "205 rows at 100 a page");
    assert_eq!(log[2].query_param("page").as_deref(), Some("3"));
    // The raw headers, as GitLab sends them.
    let url = format!("{}/api/v4/runners/all?per_page=500&page=3", gl.url());
    let (status, hdrs, body) = fetch("GET", &url, &[("PRIVATE-TOKEN", &gl.admin_token())], None);
    assert_eq!(status, 200);
    assert_eq!(
        header(&hdrs, "x-per-page"),
        Some("100"),
        "per_page clamps to 100"
    );
    assert_eq!(
        header(&hdrs, "x-next-page"),
        Some(""),
        "empty on the last page"
    );
    assert_eq!(header(&hdrs, "x-prev-page"), Some("2"));
    assert_eq!(header(&hdrs, "x-total"), Some("205"));
    assert_eq!(header(&hdrs, "x-total-pages"), Some("3"));
    let link = header(&hdrs, "link").expect("link");
    assert!(
        link.starts_with(
            "<https://gitlab.example.com/api/v4/runners/all?page=2&per_page=100>; rel=\"prev\""
        ),
        "{link}"
    );
    assert!(link.contains("rel=\"last\"") && !link.contains("rel=\"next\""));
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&body)
            .expect("json")
            .len(),
        5
    );
}

#[test]
fn a_page_number_that_does_not_advance_is_a_protocol_failure() {
    let gl = GitlabSim::start().expect("start");
    gl.add_runner("a", &[], false);
    gl.server().inject(
        "GET",
        "/api/v4/runners/all",
        Fault::status(200)
            .with_body("[]")
            .with_header("X-Next-Page", "1"),
    );
    let all = RunnerFilter {
        all: true,
        ..RunnerFilter::default()
    };
    let e = fetch_runners(&reader(), &gl.url(), &admin(&gl), &all).expect_err("loop");
    assert!(matches!(e.failure, Failure::Protocol(_)), "{e}");
    gl.server().clear_faults();
    gl.server().inject(
        "GET",
        "/api/v4/runners/all",
        Fault::status(200).with_body("[]"),
    );
    let e = fetch_runners(&reader(), &gl.url(), &admin(&gl), &all).expect_err("no header");
    assert!(matches!(e.failure, Failure::Protocol(_)), "{e}");
}

#[test]
fn auth_permissions_and_filters() {
    let gl = GitlabSim::start().expect("start");
    let a = gl.add_runner("a", &["docker", "autogit"], false);
    let b = gl.add_runner("b", &["docker"], true);
    gl.contact(a);
    let user = Secret::new(gl.user_token());
    let all = RunnerFilter {
        all: true,
        ..RunnerFilter::default()
    };
    let e = fetch_runners(&reader(), &gl.url(), &user, &all).expect_err("403");
    let Failure::Status { status, excerpt } = &e.failure else {
        panic!("{e}");
    };
    assert_eq!(*status, 403);
    assert!(excerpt.starts_with(r#"{"message":"403 Forbidden"}"#), "{e}");
    assert!(
        e.to_string().contains("needs an administrator's token"),
        "{e}"
    );
    let e =
        fetch_runners(&reader(), &gl.url(), &Secret::new("glpat-wrong"), &all).expect_err("401");
    assert_eq!(
        e.failure,
        Failure::Status {
            status: 401,
            excerpt: r#"{"message":"401 Unauthorized"}"#.into()
        }
    );
    let url = format!("{}/api/v4/runners/all", gl.url());
    assert_eq!(
        fetch("GET", &url, &[("PRIVATE-TOKEN", &gl.admin_token())], None).0,
        200
    );
    assert_eq!(fetch("GET", &url, &[], None).0, 401);
    let tags = ["docker".to_string(), "autogit".to_string()];
    let tagged = RunnerFilter {
        all: true,
        tags: &tags,
        ..RunnerFilter::default()
    };
    let ids: Vec<u64> = fetch_runners(&reader(), &gl.url(), &admin(&gl), &tagged)
        .expect("ok")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(ids, [a], "tag_list is AND");
    let paused = RunnerFilter {
        all: true,
        paused: Some(true),
        ..RunnerFilter::default()
    };
    let got = fetch_runners(&reader(), &gl.url(), &admin(&gl), &paused).expect("ok");
    assert_eq!(
        (got.len(), got[0].id, got[0].status.as_str()),
        (1, b, "never_contacted")
    );
    // Users see instance runners' details, but list only their own runners.
    assert_eq!(
        fetch_runner(&reader(), &gl.url(), &user, a)
            .expect("visible")
            .tag_list,
        ["docker", "autogit"]
    );
    assert!(
        fetch_runners(&reader(), &gl.url(), &user, &RunnerFilter::default())
            .expect("own")
            .is_empty()
    );
    let bad = RunnerFilter {
        all: true,
        status: Some("bogus"),
        ..RunnerFilter::default()
    };
    let e = fetch_runners(&reader(), &gl.url(), &admin(&gl), &bad).expect_err("400");
    assert!(matches!(e.failure, Failure::Status { status: 400, .. }));
}

#[test]
fn the_clock_drives_status_and_online() {
    let gl = GitlabSim::start().expect("start");
    let id = gl.add_runner("r", &["docker"], false);
    let details = || fetch_runner(&reader(), &gl.url(), &admin(&gl), id).expect("details");
    assert_eq!(
        (details().status.as_str(), details().contacted_at),
        ("never_contacted", None)
    );
    gl.contact(id);
    assert_eq!(
        (details().status.as_str(), details().online),
        ("online", true)
    );
    assert_eq!(details().contacted_at, Some(gl.now()));
    gl.advance_clock(2 * 3600 + 1);
    assert_eq!(
        (details().status.as_str(), details().online),
        ("offline", false)
    );
    gl.advance_clock(7 * 24 * 3600);
    assert_eq!(details().status, "stale");
    let filter = RunnerFilter {
        all: true,
        status: Some("stale"),
        ..RunnerFilter::default()
    };
    assert_eq!(
        fetch_runners(&reader(), &gl.url(), &admin(&gl), &filter)
            .expect("ok")
            .len(),
        1
    );
}

#[test]
fn runner_jobs_and_pending_jobs() {
    let gl = GitlabSim::start().expect("start");
    let r = gl.add_runner("r", &["docker"], false);
    let old = gl.start_job(r, 7);
    gl.advance_clock(60);
    gl.finish_job(old, "success");
    let running = gl.start_job(r, 7);
    let jobs = fetch_running_jobs(&reader(), &gl.url(), &admin(&gl), r).expect("running");
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [running]);
    let read = fetch_runner_jobs(&reader(), &gl.url(), &admin(&gl), r).expect("ok");
    assert_eq!(read.total, 2, "X-Total counts every job the runner ran");
    let last = read.last_finished.expect("one");
    assert_eq!(
        (last.id, last.status.as_str(), last.finished_at),
        (old, "success", Some(gl.now()))
    );
    for i in 0..150 {
        gl.add_pending_job(
            "group/app",
            if i % 2 == 0 {
                &["docker"]
            } else {
                &["docker", "gpu"]
            },
        );
    }
    let picked = gl.add_pending_job("group/app", &["docker"]);
    gl.pick_up(picked, r);
    let user = Secret::new(gl.user_token());
    let pending = fetch_pending_jobs(&reader(), &gl.url(), &user, "group/app").expect("pending");
    assert_eq!(pending.len(), 150);
    assert!(
        pending.windows(2).all(|w| w[0].id > w[1].id),
        "newest first"
    );
    assert_eq!(pending[0].tag_list, ["docker", "gpu"]);
    let log = gl.server().requests();
    let last_req = log.last().expect("logged");
    assert_eq!(last_req.path, "/api/v4/projects/group%2Fapp/jobs");
    assert_eq!(last_req.query_param("scope[]").as_deref(), Some("pending"));
    let project_id = gl.jobs().last().expect("job").project_id;
    assert_eq!(
        fetch_pending_jobs(&reader(), &gl.url(), &user, &project_id.to_string())
            .expect("by id")
            .len(),
        150
    );
    let url = format!(
        "{}/api/v4/projects/group%2Fapp/jobs?scope=pending",
        gl.url()
    );
    let (status, hdrs, _) = fetch("GET", &url, &[("PRIVATE-TOKEN", &gl.user_token())], None);
    assert_eq!(
        (
            status,
            header(&hdrs, "x-total"),
            header(&hdrs, "x-next-page")
        ),
        (200, None, Some("2"))
    );
    let (status, _, body) = fetch(
        "GET",
        &format!("{url}&scope[]=bogus"),
        &[("PRIVATE-TOKEN", &gl.user_token())],
        None,
    );
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"message":"400 Bad request - Scope contains invalid value"}"#
        )
    );
    let e = fetch_pending_jobs(&reader(), &gl.url(), &user, "group/none").expect_err("404");
    assert!(matches!(e.failure, Failure::Status { status: 404, .. }));
}

#[test]
fn rate_limits_are_retried_after_retry_after() {
    let gl = GitlabSim::start().expect("start");
    gl.add_runner("r", &[], false);
    gl.server().inject(
        "GET",
        "/api/v4/runners",
        Fault::status(429).times(1).with_header("Retry-After", "1"),
    );
    let all = RunnerFilter {
        all: true,
        ..RunnerFilter::default()
    };
    assert_eq!(
        fetch_runners(&reader(), &gl.url(), &admin(&gl), &all)
            .expect("after retry")
            .len(),
        1
    );
    let log = gl.server().requests();
    assert_eq!(log.len(), 2);
    // Without Retry-After the usual backoff applies; 502/503 are retried too.
    gl.server()
        .inject("GET", "/api/v4/runners", Fault::status(429).times(1));
    gl.server()
        .inject("GET", "/api/v4/runners", Fault::status(503).times(1));
    assert_eq!(
        fetch_runners(&reader(), &gl.url(), &admin(&gl), &all)
            .expect("after retries")
            .len(),
        1
    );
}

#[test]
fn a_missing_maintenance_note_is_told_apart_from_a_null_one() {
    use crate::clients::gitlab::decode_runner;
    let base = r#"{"id": 7, "paused": true, "status": "online""#;
    let missing = decode_runner(&format!("{base}}}")).unwrap();
    assert!(missing.maintenance_note_hidden);
    let null = decode_runner(&format!(r#"{base}, "maintenance_note": null}}"#)).unwrap();
    assert!(!null.maintenance_note_hidden);
    assert_eq!(null.maintenance_note, None);
    let ours = decode_runner(&format!(
        r#"{base}, "maintenance_note": "devicepool: paused for removal"}}"#
    ))
    .unwrap();
    assert_eq!(
        ours.maintenance_note.as_deref(),
        Some("devicepool: paused for removal")
    );
    assert!(!ours.maintenance_note_hidden);
}
