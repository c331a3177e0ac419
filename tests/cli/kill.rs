//! `kill -9` during apply, at several points, for the reconcilers whose actions are HTTP
//! calls (rack deploys, runner starts): the next runs converge with no duplicate deploy or
//! runner. The fakes handle a request even when its sender died while they were slow, as a
//! real server does; that request lands after the kill.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use devicepool_sim::Fault;
use devicepool_sim::server::SimServer;
use serde_json::json;

use crate::racks::RackLab;
use crate::runners::RunnerLab;
use crate::support::Running;

/// Kills `child` with SIGKILL once `server` has received `count` requests `method path*`.
pub(crate) fn kill_after(
    mut child: Running,
    server: &SimServer,
    method: &str,
    path: &str,
    count: usize,
) {
    let seen = || {
        server
            .requests()
            .iter()
            .filter(|r| r.method == method && r.path.starts_with(path))
            .count()
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen() < count && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        seen() >= count,
        "the apply never sent {count} {method} {path}"
    );
    child.kill(); // SIGKILL: no cleanup runs
    child.wait();
}

/// Our active deploy jobs per agent.
pub(crate) fn active_deploys(lab: &RackLab) -> BTreeMap<String, usize> {
    let mut active = BTreeMap::new();
    for job in lab.fleet.testflinger.jobs() {
        let ours = job.definition["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("devicepool")));
        if ours && !["complete", "completed", "cancelled"].contains(&job.job_state.as_str()) {
            *active
                .entry(job.definition["job_queue"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    active
}

#[test]
fn racks_killed_at_any_point_of_submitting_converge_without_a_second_deploy() {
    // After the first deploy reaches the server, mid-way through a wave, and in the last wave.
    for kill_at in [1, 14, 31] {
        let lab = RackLab::new();
        let tf = lab.fleet.testflinger.server();
        tf.inject("POST", "/v1/job", Fault::delay(700));
        let before = active_deploys(&lab);
        kill_after(
            lab.command(&["apply", lab.config_arg()]).spawn(),
            tf,
            "POST",
            "/v1/job",
            kill_at,
        );
        // Straight away: the killed run's last deploys are still on their way.
        lab.run(&["apply", lab.config_arg()]).expect_code(0);
        tf.clear_faults();
        lab.run(&["apply", lab.config_arg()]).expect_code(0);
        lab.run(&["plan", lab.config_arg(), "--detailed-exitcode"])
            .expect_code(0);
        let active = active_deploys(&lab);
        assert!(
            active.values().all(|n| *n == 1),
            "killed after {kill_at}: an agent got two deploys: {active:?}"
        );
        assert_eq!(
            active.len(),
            before.len() + 32,
            "killed after {kill_at}: every due agent got its deploy"
        );
    }
}

#[test]
fn runner_pools_killed_at_any_point_of_starting_converge_without_extra_runners() {
    // While registering, between registering and creating containers, and while starting them.
    for (method, path, kill_at) in [
        ("POST", "/api/v4/user/runners", 2),
        ("POST", "/v1.52/containers/create", 3),
        ("POST", "/v1.52/containers/", 5),
    ] {
        let lab = RunnerLab::new("");
        // A short timeout keeps the wait after the kill short.
        let yaml = std::fs::read_to_string(&lab.config).unwrap();
        std::fs::write(&lab.config, yaml.replace("timeout: 10s,", "timeout: 2s,")).unwrap();
        let gl = &lab.fleet.gitlab;
        for _ in 0..5 {
            gl.add_pending_job("group/app", &["autogit"]);
        }
        gl.server()
            .inject("POST", "/api/v4/user/runners", Fault::delay(500));
        lab.fleet
            .docker
            .server()
            .inject("POST", "/v1.52/containers/", Fault::delay(300));
        let server = if path.starts_with("/api") {
            gl.server()
        } else {
            lab.fleet.docker.server()
        };
        kill_after(
            lab.command(&["apply"]).spawn(),
            server,
            method,
            path,
            kill_at,
        );
        let runs = lab.run(&["apply"]);
        assert!(matches!(runs.code, 0 | 3), "{runs:?}");
        gl.server().clear_faults();
        lab.fleet.docker.server().clear_faults();
        // Whatever the killed run left half-done: no more runners than jobs, and never two
        // containers for one runner.
        let check = |when: &str| {
            let runners = lab.runner_ids();
            assert!(
                runners.len() <= 5,
                "{method} {path} #{kill_at}, {when}: {} runners for 5 jobs",
                runners.len()
            );
            let mut per_runner: BTreeMap<String, usize> = BTreeMap::new();
            for c in lab.fleet.docker.containers() {
                if let Some(id) = c.labels.get("devicepool.runner-id") {
                    *per_runner.entry(id.clone()).or_insert(0) += 1;
                }
            }
            assert!(
                per_runner.values().all(|n| *n == 1),
                "{method} {path} #{kill_at}, {when}: {per_runner:?}"
            );
        };
        check("right after the kill");
        // Past the offline grace, runners whose container never came up are replaced.
        for round in 0..3 {
            gl.advance_clock(11 * 60);
            lab.heartbeat();
            let out = lab.run(&["apply"]);
            assert!(matches!(out.code, 0 | 3), "{out:?}");
            check(&format!("round {round}"));
        }
        lab.heartbeat();
        let running = lab
            .fleet
            .docker
            .containers()
            .iter()
            .filter(|c| c.is_running())
            .count();
        assert_eq!(
            running, 5,
            "{method} {path} #{kill_at}: one runner per job in the end"
        );
    }
}
