//! A runner pool on a real engine: Podman's Docker-compatible API (Engine API 1.41, Debian 12's
//! podman 4.3) on a socket of its own, with the simulated GitLab: plan → apply → replan →
//! removal, the container created, started and removed by Podman itself. Skipped with a
//! message where podman cannot start; a failure when `CI` is set (`.ci/run` installs it).

use devicepool_sim::podman_process::{POOL_IMAGE, PodmanProcess, podman_or_skip};

use crate::runners::{IMAGE, RunnerLab};

/// The built-in template with a command busybox can run (no gitlab-runner in the image):
/// everything else (hardening, limits, labels, the socket bind) is what labs get.
fn podman_template() -> String {
    let builtin = std::fs::read_to_string(format!(
        "{}/templates/gitlab-runner.json.j2",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("the built-in runner template");
    let cmd = builtin
        .lines()
        .find(|l| l.trim_start().starts_with("\"Cmd\""))
        .expect("a Cmd line");
    let template = builtin.replace(
        cmd,
        r#"  "Cmd": ["sh", "-c", "echo runner {{ name }} would register with $CI_SERVER_URL; exec sleep 3600"],"#,
    );
    assert_ne!(template, builtin);
    template
}

/// A runner lab whose Docker host is `podman`'s socket, the pool's image the one it imported.
fn lab_on(podman: &PodmanProcess) -> RunnerLab {
    let extra = format!(
        "    template: podman-runner.json.j2\n    network: none\n    docker_socket: {}\n",
        podman.socket().display()
    );
    let lab = RunnerLab::new(&extra);
    let yaml = std::fs::read_to_string(&lab.config)
        .unwrap()
        .replace(&lab.fleet.docker.host(), &podman.host())
        .replace(&format!("image: {IMAGE}"), &format!("image: {POOL_IMAGE}"))
        // Podman refuses more CPUs than the host has.
        .replace("cpus: 4\n", "cpus: 0.5\n");
    std::fs::write(&lab.config, yaml).unwrap();
    lab.write_template("podman-runner.json.j2", &podman_template());
    lab
}

#[test]
fn a_runner_pool_starts_and_removes_runners_on_a_real_podman() {
    let Some(mut podman) = podman_or_skip() else {
        return;
    };
    let lab = lab_on(&podman);
    let gl = &lab.fleet.gitlab;
    let job = gl.add_pending_job("group/app", &["autogit"]);

    let out = lab.run(&["plan", "--format", "json"]);
    out.expect_code(0);
    let pool = &out.json()["runner_pools"][0];
    assert_eq!(pool["status"]["state"], "planned", "{}", out.stdout);
    assert_eq!(pool["docker_api"], "1.41", "Podman 4 speaks 1.41");
    assert_eq!(pool["starts"].as_array().unwrap().len(), 1, "{pool:#}");

    let out = lab.run(&["apply", "--format", "json"]);
    out.expect_code(0);
    let ids: Vec<u64> = lab.runner_ids().into_iter().collect();
    assert_eq!(ids.len(), 1, "{}", out.stdout);
    let id = ids[0];
    let containers = podman.containers().expect("podman ps");
    assert_eq!(containers.len(), 1, "{containers:?}");
    let container = &containers[0];
    assert_eq!(container.name, format!("devicepool-autogit-r{id}"));
    assert_eq!(container.state, "running", "{container:?}");
    assert_eq!(container.labels["devicepool.runner-id"], id.to_string());
    assert_eq!(container.labels["devicepool.pool"], "autogit");
    assert_eq!(container.labels["devicepool.managed"], "true");

    // The runner comes online and waits for the pending job: nothing to do.
    gl.contact(id);
    let out = lab.run(&["plan", "--format", "json"]);
    out.expect_code(0);
    let pool = &out.json()["runner_pools"][0];
    assert_eq!(pool["numbers"]["idle"], 1, "{pool:#}");
    assert!(pool["starts"].as_array().unwrap().is_empty(), "{pool:#}");
    assert!(pool["removals"].as_array().unwrap().is_empty(), "{pool:#}");

    // The job runs and finishes; past the cool-down the idle runner goes, with its container.
    gl.pick_up(job, id);
    gl.finish_job(job, "success");
    gl.advance_clock(600);
    gl.contact(id);
    let out = lab.run(&["apply", "--format", "json"]);
    out.expect_code(0);
    assert!(lab.deleted().contains(&id), "{}", out.stdout);
    assert!(lab.runner_ids().is_empty());
    assert_eq!(podman.containers().expect("podman ps"), Vec::new());
    podman.stop();
}
