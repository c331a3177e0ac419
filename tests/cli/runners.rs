//! Runner pools: GitLab runners in containers, started for pending jobs and removed when idle,
//! offline or orphaned — driven through the binary against the GitLab and Docker fakes.

use std::collections::BTreeSet;

use devicepool_sim::{Fault, Fleet};

use crate::support::{Invocation, LabDir, Outcome, devicepool, text_filters, tried};

pub(crate) const IMAGE: &str = "gitlab/gitlab-runner:latest";

pub(crate) struct RunnerLab {
    pub(crate) fleet: Fleet,
    dir: LabDir,
    pub(crate) config: std::path::PathBuf,
}

impl RunnerLab {
    pub(crate) fn new(extra: &str) -> RunnerLab {
        let fleet = Fleet::start().unwrap();
        fleet.docker.add_image(IMAGE);
        let dir = LabDir::new(&["runners.yaml"]);
        let config = dir.path().join("runners.yaml");
        let yaml = format!(
            "version: 1\nsettings:\n  state_dir: state\n  templates_dir: templates\n  http: {{timeout: 10s, retries: 1, backoff: 10ms}}\nsources:\n  gitlab:\n    url: {}\n    token_env: GITLAB_TOKEN\n  docker:\n    host: {}\nrunner_pools:\n  autogit:\n    tags: [autogit, docker]\n    projects: [group/app]\n    image: {IMAGE}\n    cpus: 4\n    memory: 6g\n    idle_cooldown: 5m\n    offline_grace: 10m\n    min_idle: 0\n    max_runners: 10\n    max_remove_fraction: 1.0\n{extra}",
            fleet.gitlab.url(),
            fleet.docker.host()
        );
        std::fs::write(&config, yaml).unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        RunnerLab { fleet, dir, config }
    }

    /// The binary with `args` then the config, the GitLab token and the fake's clock.
    pub(crate) fn command(&self, args: &[&str]) -> Invocation {
        devicepool(args)
            .args(&[self.config.to_str().unwrap()])
            .current_dir(self.dir.path())
            .env_remove("DOCKER_HOST")
            .env("GITLAB_TOKEN", self.fleet.gitlab.admin_token())
            .env("DEVICEPOOL_SIM_CLOCK", self.fleet.gitlab.now().to_string())
    }

    pub(crate) fn run(&self, args: &[&str]) -> Outcome {
        self.command(args).run()
    }

    /// The metrics a run wrote to `metrics.prom` in the lab's directory.
    pub(crate) fn metrics(&self) -> std::collections::BTreeMap<String, f64> {
        let text = std::fs::read_to_string(self.dir.path().join("metrics.prom"));
        crate::metrics::samples(&text.expect("metrics written"))
    }

    /// A template of that name in the lab's `templates_dir` (built-ins are used otherwise).
    pub(crate) fn write_template(&self, name: &str, text: &str) {
        let dir = self.dir.path().join("templates");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    fn apply(&self) -> Outcome {
        let out = self.run(&["apply", "--format", "json"]);
        assert!(out.code == 0, "apply failed: {out:?}");
        out
    }

    /// A runner of ours made by hand (named the old way, served by a running container of
    /// ours), as one left by an earlier install.
    pub(crate) fn add_old_style_runner(&self) -> u64 {
        let id =
            self.fleet
                .gitlab
                .add_runner("devicepool-autogit-100-1", &["autogit", "docker"], false);
        self.fleet.docker.add_container(
            "devicepool-autogit-100-1",
            IMAGE,
            &[
                ("devicepool.pool", "autogit"),
                ("devicepool.managed", "true"),
                ("devicepool.runner-id", &id.to_string()),
            ],
            "running",
        );
        id
    }

    /// A running container `devicepool-autogit-stray` of ours whose runner GitLab does not
    /// know (runner id 99999): an orphan. Its id.
    pub(crate) fn add_orphan_container(&self) -> String {
        self.fleet.docker.add_container(
            "devicepool-autogit-stray",
            IMAGE,
            &[
                ("devicepool.pool", "autogit"),
                ("devicepool.managed", "true"),
                ("devicepool.runner-id", "99999"),
            ],
            "running",
        )
    }

    /// Ids of our runners GitLab knows.
    pub(crate) fn runner_ids(&self) -> BTreeSet<u64> {
        self.fleet.gitlab.runners().iter().map(|r| r.id).collect()
    }

    /// Runner ids deleted so far, from the request log.
    pub(crate) fn deleted(&self) -> BTreeSet<u64> {
        self.fleet
            .gitlab
            .server()
            .requests()
            .iter()
            .filter(|r| r.method == "DELETE")
            .filter_map(|r| r.path.rsplit('/').next().and_then(|id| id.parse().ok()))
            .collect()
    }

    /// The runner processes of every running container contact GitLab.
    pub(crate) fn heartbeat(&self) {
        for container in self.fleet.docker.containers() {
            let id = container
                .labels
                .get("devicepool.runner-id")
                .and_then(|v| v.parse().ok());
            if let (true, Some(id)) = (container.is_running(), id)
                && self.runner_ids().contains(&id)
            {
                self.fleet.gitlab.contact(id);
            }
        }
    }

    fn running_job_runners(&self) -> BTreeSet<u64> {
        self.fleet
            .gitlab
            .jobs()
            .iter()
            .filter(|j| j.status == "running")
            .filter_map(|j| j.runner_id)
            .collect()
    }
}

#[test]
fn a_simulated_day_starts_for_every_pending_job_and_removes_only_what_is_done() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    let jobs: Vec<u64> = (0..4)
        .map(|_| gl.add_pending_job("group/app", &["autogit"]))
        .collect();
    gl.add_pending_job("group/app", &["gpu"]);

    // Morning burst: one run starts a runner per matching pending job.
    let out = lab.apply();
    assert_eq!(tried(&out.json(), "runner_pool").len(), 4, "{}", out.stdout);
    let first: Vec<u64> = lab.runner_ids().into_iter().collect();
    assert_eq!(first.len(), 4);
    assert_eq!(
        lab.fleet
            .docker
            .containers()
            .iter()
            .filter(|c| c.is_running())
            .count(),
        4
    );
    let spec = &lab.fleet.docker.containers()[0];
    assert_eq!(spec.labels["devicepool.pool"], "autogit");
    assert_eq!(spec.host_config["NanoCpus"], 4_000_000_000i64);
    assert_eq!(spec.host_config["Memory"], 6i64 << 30);
    assert_eq!(spec.host_config["SecurityOpt"][0], "no-new-privileges:true");
    lab.heartbeat();
    for (job, runner) in jobs.iter().zip(&first) {
        gl.pick_up(*job, *runner);
    }
    lab.apply();
    assert!(lab.deleted().is_empty(), "busy runners are never removed");

    // More work arrives while all four are busy.
    for _ in 0..3 {
        gl.add_pending_job("group/app", &["docker"]);
    }
    lab.apply();
    assert_eq!(lab.runner_ids().len(), 7);
    lab.heartbeat();

    // Two jobs finish; two minutes later nothing is removed (cooldown 5 m).
    let running: Vec<_> = gl
        .jobs()
        .into_iter()
        .filter(|j| j.status == "running")
        .collect();
    gl.finish_job(running[0].id, "success");
    gl.finish_job(running[1].id, "success");
    gl.advance_clock(120);
    lab.heartbeat();
    let before = lab.deleted();
    lab.apply();
    assert_eq!(lab.deleted(), before);

    // Runner 3's container dies after its job; an orphan container appears.
    gl.finish_job(running[2].id, "success");
    let dead = first[2];
    let dead_container = lab
        .fleet
        .docker
        .containers()
        .into_iter()
        .find(|c| c.labels.get("devicepool.runner-id") == Some(&dead.to_string()))
        .unwrap();
    lab.fleet.docker.kill(&dead_container.id);
    let orphan = lab.add_orphan_container();
    let foreign = lab
        .fleet
        .docker
        .add_container("someone-elses", IMAGE, &[], "exited");

    // Past the cooldown: the idle runners go, with the orphan; the busy ones stay.
    gl.advance_clock(240);
    lab.heartbeat();
    let busy = lab.running_job_runners();
    lab.apply();
    let removed = lab.deleted();
    assert!(
        removed.contains(&first[0]) && removed.contains(&first[1]),
        "{removed:?}"
    );
    assert!(removed.is_disjoint(&busy), "a busy runner was removed");
    assert!(
        !removed.contains(&dead),
        "the dead container's runner is still within its grace"
    );
    let names: Vec<String> = lab
        .fleet
        .docker
        .containers()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    assert!(!names.contains(&orphan), "the orphan container is removed");
    assert!(
        names.contains(&foreign),
        "a container without our labels is never touched"
    );

    // Past the grace: the runner whose container died goes too.
    gl.advance_clock(11 * 60);
    lab.heartbeat();
    let busy = lab.running_job_runners();
    lab.apply();
    let removed = lab.deleted();
    assert!(removed.contains(&dead), "{removed:?}");
    assert!(removed.is_disjoint(&busy), "a busy runner was removed");
    // Over the whole day, every DELETE hit a runner of ours, and no running job lost its runner.
    for job in gl.jobs().iter().filter(|j| j.status == "running") {
        assert!(lab.runner_ids().contains(&job.runner_id.unwrap()));
    }
}

#[test]
fn a_job_landing_between_plan_and_delete_keeps_the_runner_and_says_why() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    let id = lab.add_old_style_runner();
    gl.contact(id);
    gl.add_pending_job("group/app", &["gpu"]);
    gl.advance_clock(600);
    gl.contact(id);
    // The pause is slow; a job lands on the runner meanwhile.
    gl.server()
        .inject("PUT", "/api/v4/runners/", Fault::delay(1500).times(1));
    let child = lab.command(&["apply"]).spawn();
    // The pause has arrived (logged on arrival, before its delay): now the job lands.
    wait_for_request(gl.server(), "PUT", "/api/v4/runners/");
    gl.start_job(id, 1);
    let out = child.wait();
    assert_eq!(out.code, 0, "{out:?}");
    // The report says why the runner was kept: a job `landed on runner` meanwhile.
    let _filters = text_filters().bind_to_scope();
    insta::assert_snapshot!(out.stdout);
    assert!(lab.deleted().is_empty(), "the runner was deleted");
    let runner = gl.runners().into_iter().find(|r| r.id == id).unwrap();
    assert!(!runner.paused, "the runner was resumed");
}

#[test]
fn gitlab_or_docker_failing_holds_the_pool_and_removes_nothing() {
    for (name, arrange) in [
        (
            "gitlab 500",
            Box::new(|lab: &RunnerLab| {
                lab.fleet
                    .gitlab
                    .server()
                    .inject("GET", "/api/v4/runners", Fault::status(500))
            }) as Box<dyn Fn(&RunnerLab)>,
        ),
        (
            "gitlab 429",
            Box::new(|lab: &RunnerLab| {
                lab.fleet.gitlab.server().inject(
                    "GET",
                    "/api/v4/projects",
                    Fault::status(429).with_header("Retry-After", "90"),
                )
            }),
        ),
        (
            "docker down",
            Box::new(|lab: &RunnerLab| {
                std::fs::remove_file(lab.fleet.docker.socket_path()).unwrap()
            }),
        ),
    ] {
        let lab = RunnerLab::new("");
        let gl = &lab.fleet.gitlab;
        let id = gl.add_runner("devicepool-autogit-100-1", &["autogit", "docker"], false);
        gl.advance_clock(3600);
        gl.add_pending_job("group/app", &["autogit"]);
        arrange(&lab);
        let out = lab.run(&["apply"]);
        assert_eq!(out.code, 4, "{name}: {out:?}");
        // `held   autogit: …` with the reason, and nothing carried out.
        let mut filters = text_filters();
        filters.set_description(format!("{name}: the pool is held"));
        let _filters = filters.bind_to_scope();
        let snapshot = format!("source_failure_{}", name.replace(' ', "_"));
        insta::assert_snapshot!(snapshot, out.stdout);
        assert!(lab.deleted().is_empty(), "{name}: removed on failed data");
        assert!(lab.runner_ids().contains(&id));
        let created = gl
            .server()
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count();
        assert_eq!(created, 0, "{name}: started on failed data");
    }
}

#[test]
fn gitlab_and_runner_tokens_stay_out_of_output_and_disk() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    for _ in 0..2 {
        gl.add_pending_job("group/app", &["autogit"]);
    }
    // The secret guard checks both runs' output (the admin token and every `glrt-` runner
    // token) and, when the lab goes, the files it leaves.
    let mut seen = String::new();
    for verb in ["plan", "apply"] {
        // JSON output carries the rendered container specs.
        let out = lab
            .command(&["-vvv", verb, "--format", "json"])
            .env("DEVICEPOOL_LOG", "trace")
            .run();
        assert_eq!(out.code, 0, "{out:?}");
        seen.push_str(&out.stdout);
        seen.push_str(&out.stderr);
    }
    let runners = gl.runners();
    assert_eq!(runners.len(), 2);
    assert!(runners.iter().all(|r| r.token.starts_with("glrt-")));
    assert!(seen.contains("<redacted>"));
}

#[test]
fn a_runner_deleted_since_the_plan_still_has_its_container_removed() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    let id = gl.add_runner("devicepool-autogit-100-1", &["autogit", "docker"], false);
    let container = lab.fleet.docker.add_container(
        "devicepool-autogit-r1",
        IMAGE,
        &[
            ("devicepool.pool", "autogit"),
            ("devicepool.managed", "true"),
            ("devicepool.runner-id", &id.to_string()),
        ],
        "exited",
    );
    gl.add_pending_job("group/app", &["gpu"]);
    gl.advance_clock(3600);
    gl.server().inject(
        "PUT",
        "/api/v4/runners/",
        Fault::status(404).with_body(r#"{"message":"404 Runner Not Found"}"#),
    );
    let out = lab.run(&["apply"]);
    assert_eq!(out.code, 0, "{out:?}");
    // The removal is done, with the note `runner already gone`.
    let _filters = text_filters().bind_to_scope();
    insta::assert_snapshot!(out.stdout);
    assert!(
        !lab.fleet
            .docker
            .containers()
            .iter()
            .any(|c| c.id == container),
        "the container stays behind"
    );
}

#[test]
fn a_container_that_cannot_start_is_removed_with_its_runner() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    gl.add_pending_job("group/app", &["autogit"]);
    let docker = lab.fleet.docker.server();
    // The create is slow; meanwhile every later container POST (the start) is made to fail.
    docker.inject(
        "POST",
        "/v1.52/containers/create",
        Fault::delay(1200).times(1),
    );
    let child = lab.command(&["apply"]).spawn();
    wait_for_request(docker, "POST", "/v1.52/containers/create");
    docker.inject(
        "POST",
        "/v1.52/containers/",
        Fault::status(500).with_body(r#"{"message":"start boom"}"#),
    );
    assert_eq!(child.wait().code, 3);
    assert!(lab.runner_ids().is_empty(), "the runner is deleted again");
    assert!(
        lab.fleet.docker.containers().is_empty(),
        "no container (holding the token) is left"
    );
}

/// Waits (up to 20 s) until the fake has received a `method` request under `prefix`.
pub(crate) fn wait_for_request(server: &devicepool_sim::SimServer, method: &str, prefix: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !server
        .requests()
        .iter()
        .any(|r| r.method == method && r.path.starts_with(prefix))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no {method} {prefix} arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn a_runner_deleted_between_list_and_details_is_skipped_but_other_errors_hold() {
    for (status, body, held) in [
        (404, r#"{"message":"404 Runner Not Found"}"#, false),
        (500, r#"{"message":"500 Internal Server Error"}"#, true),
    ] {
        let lab = RunnerLab::new("");
        let gl = &lab.fleet.gitlab;
        // Marked with their fleet: a runner named the old way needs a container here.
        let marked = |name: &str| format!("{name} fleet:default");
        let gone = gl.add_runner(
            &marked("devicepool-autogit-100-1"),
            &["autogit", "docker"],
            false,
        );
        let kept = gl.add_runner(
            &marked("devicepool-autogit-100-2"),
            &["autogit", "docker"],
            false,
        );
        gl.contact(kept);
        gl.add_pending_job("group/app", &["autogit"]);
        gl.add_pending_job("group/app", &["autogit"]);
        gl.server().inject(
            "GET",
            &format!("/api/v4/runners/{gone}"),
            Fault::status(status).with_body(body).times(1),
        );
        let out = lab.run(&["plan", "--format", "json"]);
        let pool = &out.json()["runner_pools"][0];
        if held {
            assert_eq!(out.code, 4, "{status}: {out:?}");
            assert_eq!(pool["status"]["state"], "held", "{}", out.stdout);
        } else {
            assert_eq!(out.code, 0, "{status}: {out:?}");
            assert_eq!(pool["status"]["state"], "planned", "{}", out.stdout);
            let seen: Vec<u64> = pool["runners"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_u64().unwrap())
                .collect();
            assert_eq!(seen, [kept], "{}", out.stdout);
        }
    }
}

#[test]
fn a_custom_template_without_our_labels_still_gives_containers_their_owner_labels() {
    let lab = RunnerLab::new("    template: custom.json.j2\n");
    lab.write_template(
        "custom.json.j2",
        r#"{"Image": {{ image | quote }}, "Cmd": ["run"], "Env": {"RUNNER_TOKEN": {{ runner_token | quote }}},
  "Labels": {"team": "ci", "devicepool.pool": "someone-else", "devicepool.runner-id": "7"},
  "HostConfig": {"NetworkMode": {{ network | quote }}}}"#,
    );
    let gl = &lab.fleet.gitlab;
    gl.add_pending_job("group/app", &["autogit"]);
    lab.apply();
    let id = lab
        .runner_ids()
        .into_iter()
        .next()
        .expect("a runner was started");
    let container = lab.fleet.docker.containers().pop().expect("a container");
    assert_eq!(container.labels["devicepool.managed"], "true");
    assert_eq!(container.labels["devicepool.pool"], "autogit");
    assert_eq!(container.labels["devicepool.runner-id"], id.to_string());
    assert_eq!(container.labels["team"], "ci", "other labels are kept");
    // Past the grace, a later run still finds the runner's container: nothing to remove.
    gl.advance_clock(11 * 60);
    lab.heartbeat();
    let out = lab.run(&["plan", "--format", "json"]);
    let pool = &out.json()["runner_pools"][0];
    assert_eq!(
        pool["removals"].as_array().unwrap().len(),
        0,
        "{}",
        out.stdout
    );
}

#[test]
fn a_template_with_a_key_docker_would_ignore_holds_the_pool_at_plan_time() {
    let lab = RunnerLab::new("    template: custom.json.j2\n");
    // `Binds` belongs in HostConfig; at the top level dockerd would silently ignore it.
    lab.write_template(
        "custom.json.j2",
        r#"{"Image": {{ image | quote }}, "Env": {"RUNNER_TOKEN": {{ runner_token | quote }}},
  "Binds": ["/var/run/docker.sock:/var/run/docker.sock"], "HostConfig": {}}"#,
    );
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    let out = lab.run(&["plan", "--format", "json"]);
    let pool = &out.json()["runner_pools"][0];
    assert_eq!(pool["status"]["state"], "held", "{}", out.stdout);
    let why = pool["status"]["reason"].as_str().unwrap();
    assert!(why.contains("Binds") && why.contains("HostConfig"), "{why}");
    let out = lab.run(&["apply"]);
    assert_ne!(out.code, 0, "{out:?}");
    assert!(
        lab.runner_ids().is_empty(),
        "no runner registered for a bad spec"
    );
    assert!(lab.fleet.docker.containers().is_empty());
}

#[test]
fn binds_devices_gpus_and_restart_policy_reach_the_container() {
    let lab = RunnerLab::new("    template: custom.json.j2\n");
    lab.write_template(
        "custom.json.j2",
        r#"{"Image": {{ image | quote }}, "Cmd": ["run"], "Env": {"RUNNER_TOKEN": {{ runner_token | quote }}},
  "HostConfig": {"NanoCpus": {{ nano_cpus }}, "Binds": ["/var/run/docker.sock:/var/run/docker.sock"],
    "Devices": [{"PathOnHost": "/dev/kfd", "PathInContainer": "/dev/kfd", "CgroupPermissions": "rwm"}],
    "DeviceRequests": [{"Driver": "nvidia", "Count": -1, "Capabilities": [["gpu"]]}],
    "RestartPolicy": {"Name": "unless-stopped"}}}"#,
    );
    lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    lab.apply();
    let c = lab.fleet.docker.containers().pop().expect("a container");
    let h = &c.host_config;
    assert_eq!(h["Binds"][0], "/var/run/docker.sock:/var/run/docker.sock");
    assert_eq!(h["Devices"][0]["PathOnHost"], "/dev/kfd");
    assert_eq!(h["DeviceRequests"][0]["Driver"], "nvidia");
    assert_eq!(h["RestartPolicy"]["Name"], "unless-stopped");
    assert_eq!(h["NanoCpus"], 4_000_000_000i64);
}

#[test]
fn the_default_template_mounts_the_docker_socket_for_the_docker_executor() {
    for (extra, bind) in [
        ("", Some("/var/run/docker.sock:/var/run/docker.sock")),
        (
            "    docker_socket: /run/user/1000/docker.sock\n",
            Some("/run/user/1000/docker.sock:/var/run/docker.sock"),
        ),
        ("    docker_socket: \"\"\n", None),
    ] {
        let lab = RunnerLab::new(extra);
        lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
        lab.apply();
        let c = lab.fleet.docker.containers().pop().expect("a container");
        let h = &c.host_config;
        assert_eq!(h["Binds"][0].as_str(), bind, "{extra:?}: {h}");
        assert!(c.cmd.join(" ").contains("--executor docker"));
        // The hardening stays.
        assert_eq!(h["CapDrop"], serde_json::json!(["ALL"]), "{extra:?}");
        assert_eq!(h["SecurityOpt"][0], "no-new-privileges:true", "{extra:?}");
    }
    let lab = RunnerLab::new("    docker_socket: docker.sock\n");
    let out = lab.run(&["plan"]);
    assert_ne!(out.code, 0, "a relative socket path is refused: {out:?}");
    assert!(
        out.stderr.contains("docker_socket") || out.stdout.contains("docker_socket"),
        "{out:?}"
    );
}

#[test]
fn a_runner_a_person_paused_is_left_alone_but_our_cut_short_removal_is_finished() {
    let lab = RunnerLab::new("");
    let gl = &lab.fleet.gitlab;
    let mut ids = Vec::new();
    for n in 1..=2 {
        let id = gl.add_runner(
            &format!("devicepool-autogit-100-{n}"),
            &["autogit", "docker"],
            false,
        );
        lab.fleet.docker.add_container(
            &format!("devicepool-autogit-r{id}"),
            IMAGE,
            &[
                ("devicepool.pool", "autogit"),
                ("devicepool.managed", "true"),
                ("devicepool.runner-id", &id.to_string()),
            ],
            "running",
        );
        ids.push(id);
    }
    let (debugged, idle) = (ids[0], ids[1]);
    gl.add_pending_job("group/app", &["gpu"]);
    gl.advance_clock(600);
    lab.heartbeat();
    gl.pause_by_hand(debugged, Some("debugging a flaky job, do not touch"));
    // The idle runner's removal is cut short after its pause.
    gl.server()
        .inject("DELETE", "/api/v4/runners/", Fault::status(500).times(1));
    let out = lab.run(&["apply"]);
    assert_ne!(out.code, 0, "{out:?}");
    let paused = gl.runners().into_iter().find(|r| r.id == idle).unwrap();
    assert!(paused.paused, "{out:?}");
    assert_eq!(
        paused.maintenance_note.as_deref(),
        Some("devicepool: paused for removal")
    );

    let out = lab.run(&["plan", "--format", "json"]);
    let pool = &out.json()["runner_pools"][0];
    let decision = |id: u64| {
        pool["runners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(decision(debugged)["state"], "left_alone", "{}", out.stdout);
    assert_eq!(
        decision(debugged)["detail"],
        "paused by someone else; left alone"
    );
    assert_eq!(decision(idle)["state"], "remove", "{}", out.stdout);

    lab.apply();
    assert_eq!(lab.runner_ids(), BTreeSet::from([debugged]));
    let kept = &gl.runners()[0];
    assert!(kept.paused, "still paused, as its person left it");
    assert_eq!(
        kept.maintenance_note.as_deref(),
        Some("debugging a flaky job, do not touch")
    );
    assert!(
        lab.fleet
            .docker
            .containers()
            .iter()
            .any(|c| c.labels["devicepool.runner-id"] == debugged.to_string()),
        "its container stays"
    );
}
