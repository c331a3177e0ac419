//! Every source × every fault: the pools or racks that depend on the source are held, the
//! message names the source and what went wrong, nothing is started or deployed on the failed
//! data, and the run exits 4; a Testflinger job search, read per agent, holds only the machines
//! it was for (the rack is planned, exit 0). The fault table in docs/operations.md ("When a source fails") is
//! this file.

use devicepool_sim::{Fault, SimServer};

use crate::racks::RackLab;
use crate::runners::RunnerLab;
use crate::support::{Lab, Outcome, pool};

/// One fault and the words the hold reason must contain.
struct Case {
    name: &'static str,
    fault: Option<Fault>,
    needle: &'static str,
}

fn cases(paginated: bool) -> Vec<Case> {
    let status = |code: u16, needle| Case {
        name: needle,
        fault: Some(Fault::status(code)),
        needle,
    };
    let mut all = vec![
        status(401, "HTTP 401"),
        status(403, "HTTP 403"),
        status(404, "HTTP 404"),
        Case {
            name: "429 with a long Retry-After",
            fault: Some(Fault::status(429).with_header("Retry-After", "120")),
            needle: "HTTP 429",
        },
        status(500, "HTTP 500"),
        status(503, "HTTP 503"),
        Case {
            name: "timeout",
            fault: Some(Fault::delay(2500)),
            needle: "no response",
        },
        Case {
            name: "malformed JSON",
            fault: Some(Fault::malformed_json()),
            needle: "unexpected response",
        },
        Case {
            name: "truncated body",
            fault: Some(Fault::truncated()),
            needle: "unexpected response",
        },
        Case {
            name: "oversized body",
            fault: Some(Fault::oversized(300_000)),
            needle: "response body over",
        },
        Case {
            name: "connection refused",
            fault: None,
            needle: "no response",
        },
    ];
    if paginated {
        all.push(Case {
            name: "non-advancing pagination",
            fault: Some(Fault::stale_cursor()),
            needle: "advance",
        });
    }
    all
}

/// The address of a port nobody listens on.
fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// Injects the case's fault under `prefix`, or (for "connection refused") points the
/// source's URL in `yaml` at a closed port.
fn arrange(case: &Case, server: &SimServer, prefix: &str, yaml: String) -> String {
    match &case.fault {
        Some(fault) => {
            server.inject("GET", prefix, fault.clone());
            yaml
        }
        None => yaml.replace(&server.url(), &refused_url()),
    }
}

/// The run exited 4 and holds exactly `count` pools, each naming the source and the fault.
fn assert_held(out: &Outcome, source: &str, case: &Case, count: usize) -> String {
    let context = format!("{source} × {}: {out:?}", case.name);
    assert_eq!(out.code, 4, "{context}");
    let held = held_reasons(out);
    assert_eq!(held.len(), count, "{context}");
    for line in &held {
        assert!(line.contains(source), "{context}");
        assert!(
            line.contains(case.needle),
            "want {:?}: {context}",
            case.needle
        );
    }
    context
}

fn held_reasons(out: &Outcome) -> Vec<String> {
    out.stdout
        .lines()
        .filter(|l| l.trim_start().starts_with("held"))
        .map(str::to_string)
        .collect()
}

/// Runs every case for a device-pool source reached under `prefix` on `server_of(lab)`.
fn device_pool_source(
    source: &str,
    prefix: &str,
    server_of: fn(&Lab) -> &SimServer,
    paginated: bool,
) {
    for case in cases(paginated) {
        let mut lab = Lab::new(vec![pool("a55", 3, 3), pool("p9", 3, 3)]);
        lab.set_lambdatest_extra("    page_size: 2\n");
        let now = jiff::Timestamp::now();
        for udid in ["A55-01", "A55-02"] {
            let until = now + jiff::SignedDuration::from_hours(1);
            lab.fleet
                .taskcluster
                .add_worker("proj-autophone/gecko-t-a55", udid, Some(until));
            lab.fleet
                .taskcluster
                .add_worker("proj-autophone/gecko-t-p9", udid, Some(until));
        }
        lab.fleet.taskcluster.set_page_size(1);
        for _ in 0..5 {
            lab.fleet.lambdatest.add_job(None, "completed", now);
        }
        let yaml = lab.config_yaml().replace(
            "    retries: 1\n",
            "    retries: 1\n    max_body_bytes: 100000\n",
        );
        let yaml = arrange(&case, server_of(&lab), prefix, yaml);
        std::fs::write(&lab.config, yaml).unwrap();
        let out = lab.run(&["apply", lab.config_arg()]);
        // Both pools depend on every device-pool source.
        let context = assert_held(&out, source, &case, 2);
        assert!(
            lab.fleet.lambdatest.launches().is_empty(),
            "started on failed data: {context}"
        );
    }
}

fn rack_source(source: &str, prefix: &str, server_of: fn(&RackLab) -> &SimServer) {
    for case in cases(false) {
        let lab = RackLab::new();
        let yaml = lab
            .yaml(40)
            .replace("backoff: 10ms}", "backoff: 10ms, max_body_bytes: 100000}");
        let yaml = arrange(&case, server_of(&lab), prefix, yaml);
        std::fs::write(&lab.config, yaml).unwrap();
        let out = lab.run(&["apply", lab.config_arg()]);
        let context = assert_held(&out, source, &case, 1);
        assert!(
            lab.submitted_agents().is_empty(),
            "deployed on failed data: {context}"
        );
    }
}

#[test]
fn taskcluster_counts() {
    device_pool_source(
        "taskcluster",
        "/api/queue/",
        |lab| lab.fleet.taskcluster.server(),
        false,
    );
}

#[test]
fn taskcluster_workers() {
    device_pool_source(
        "taskcluster",
        "/api/worker-manager/",
        |lab| lab.fleet.taskcluster.server(),
        true,
    );
}

#[test]
fn lambdatest_devices() {
    device_pool_source(
        "lambdatest",
        "/mobile-automation/",
        |lab| lab.fleet.lambdatest.server(),
        false,
    );
}

#[test]
fn lambdatest_jobs() {
    device_pool_source(
        "lambdatest",
        "/v1.0/jobs",
        |lab| lab.fleet.lambdatest.server(),
        true,
    );
}

#[test]
fn maas_machines() {
    rack_source("maas", "/MAAS/api/2.0/machines/", |lab| {
        lab.fleet.maas.server()
    });
}

#[test]
fn testflinger_agents() {
    rack_source("testflinger", "/v1/agents/data", |lab| {
        lab.fleet.testflinger.server()
    });
}

/// A job search is read per agent: its fault holds each searched machine
/// (`history_unknown`, the reason naming the source and the fault), never the rack, and
/// nothing is deployed on the failed data. A refused connection fails the agent list first
/// (`testflinger_agents`).
#[test]
fn testflinger_job_search() {
    for case in cases(false).into_iter().filter(|c| c.fault.is_some()) {
        let lab = RackLab::new();
        let yaml = lab
            .yaml(40)
            .replace("backoff: 10ms}", "backoff: 10ms, max_body_bytes: 100000}");
        let tf = lab.fleet.testflinger.server();
        std::fs::write(&lab.config, arrange(&case, tf, "/v1/job/search", yaml)).unwrap();
        let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
        let context = format!("testflinger × {}: {plan:?}", case.name);
        assert_eq!(plan.code, 0, "{context}");
        let json = plan.json();
        let machines = json["racks"][0]["machines"].as_array().unwrap().clone();
        let held: Vec<&str> = (machines.iter())
            .filter(|m| m["state"] == "history_unknown")
            .map(|m| m["detail"].as_str().unwrap())
            .collect();
        assert_eq!(held.len(), 34, "every searched machine: {context}");
        for detail in held {
            assert!(detail.contains("testflinger"), "{detail}");
            assert!(
                detail.contains(case.needle),
                "want {:?}: {detail}",
                case.needle
            );
        }
        lab.run(&["apply", lab.config_arg()]).expect_code(0);
        assert!(
            lab.submitted_agents().is_empty(),
            "deployed on failed data: {context}"
        );
    }
}

/// Runs every case for a runner-pool source; an idle runner past every grace and a pending
/// job make sure a healthy run would both start and remove something.
fn runner_source(
    source: &str,
    prefix: &str,
    server_of: fn(&RunnerLab) -> &SimServer,
    paginated: bool,
) {
    for case in cases(paginated) {
        let lab = RunnerLab::new("");
        let gl = &lab.fleet.gitlab;
        let id = gl.add_runner("devicepool-autogit-100-1", &["autogit", "docker"], false);
        // Over one page (100) of runners, so paging faults have a second page to spoil.
        for i in 0..120 {
            gl.add_runner(&format!("someone-else-{i}"), &["x"], false);
        }
        gl.advance_clock(3600);
        gl.add_pending_job("group/app", &["autogit"]);
        let yaml = std::fs::read_to_string(&lab.config)
            .unwrap()
            .replace(
                "retries: 1, backoff: 10ms}",
                "retries: 1, backoff: 10ms, max_body_bytes: 100000}",
            )
            .replace("timeout: 10s,", "timeout: 2s,");
        let yaml = match (&case.fault, source) {
            // Docker lives on a unix socket: "refused" is a socket that is not there.
            (None, "docker") => {
                yaml.replace(&lab.fleet.docker.host(), "unix:///nonexistent/docker.sock")
            }
            _ => arrange(&case, server_of(&lab), prefix, yaml),
        };
        std::fs::write(&lab.config, yaml).unwrap();
        let out = lab.run(&["apply"]);
        let context = assert_held(&out, source, &case, 1);
        assert!(
            lab.deleted().is_empty(),
            "removed on failed data: {context}"
        );
        assert!(lab.runner_ids().contains(&id));
        let posts = gl
            .server()
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count();
        assert_eq!(posts, 0, "started on failed data: {context}");
    }
}

#[test]
fn gitlab_runners() {
    runner_source(
        "gitlab",
        "/api/v4/runners",
        |lab| lab.fleet.gitlab.server(),
        true,
    );
}

#[test]
fn gitlab_pending_jobs() {
    runner_source(
        "gitlab",
        "/api/v4/projects",
        |lab| lab.fleet.gitlab.server(),
        false,
    );
}

#[test]
fn docker_containers() {
    // The listing, in the version negotiated from `/_ping` (which answers as usual).
    runner_source(
        "docker",
        "/v1.52/containers/json",
        |lab| lab.fleet.docker.server(),
        false,
    );
}
