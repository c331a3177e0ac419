//! `devicepool sim serve` as a user runs it: the fleet seeded from the user's own desired
//! state, then the real `plan` → `apply` → `plan` pointed at the URLs and credentials of its
//! info file, and a clean stop. Asserts on decisions and exit codes, never on timing.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{LabDir, Running, devicepool};

/// Where a desired state says the APIs are.
struct Sources<'a> {
    taskcluster: &'a str,
    lambdatest: &'a str,
    cli: &'a str,
    maas: &'a str,
    testflinger: &'a str,
    gitlab: &'a str,
    docker: &'a str,
}

/// The user's production sources: `sim serve` only reads the pools and variable names.
const PRODUCTION: Sources<'static> = Sources {
    taskcluster: "https://firefox-ci-tc.services.mozilla.com",
    lambdatest: "https://api.hyperexecute.cloud",
    cli: "hyperexecute",
    maas: "https://maas.example/MAAS/",
    testflinger: "https://testflinger.canonical.com",
    gitlab: "https://gitlab.example",
    docker: "unix:///var/run/docker.sock",
};

/// One device pool, one rack and one runner pool, with credentials under the user's own
/// variable names.
fn desired(at: &Sources) -> String {
    format!(
        r#"version: 1
settings:
  launch: {{stagger: 0ms}}
sources:
  taskcluster: {{root_url: "{}"}}
  lambdatest: {{api_url: "{lt}", devices_url: "{lt}", cli: "{}", username_env: LAB_LT_USER, access_key_env: LAB_LT_KEY}}
  maas: {{url: "{}", api_key_env: LAB_MAAS_KEY}}
  testflinger: {{url: "{}", client_id: lab-deployer, client_secret_env: LAB_TF_SECRET}}
  gitlab: {{url: "{}", token_env: LAB_GITLAB_TOKEN}}
  docker: {{host: "{}"}}
device_pools:
  phones:
    task_queue: proj-lab/gecko-t-phones
    client_id: project/lab/phones
    access_token_env: LAB_TC_TOKEN
    devices: [PHONE-01, PHONE-02, PHONE-03]
racks:
  rack-b:
    maas_tags: [rack-b]
    agent_location: TOR9
runner_pools:
  ci:
    tags: [ci, docker]
    projects: [group/app]
"#,
        at.taskcluster,
        at.cli,
        at.maas,
        at.testflinger,
        at.gitlab,
        at.docker,
        lt = at.lambdatest,
    )
}

/// The info file, once `server` has written it (the write is atomic: present means whole).
pub(crate) fn info_of(path: &Path, mut server: Running) -> (Value, Running) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        if Instant::now() > deadline {
            server.kill();
            panic!("no info file; the server said: {:?}", server.wait());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = std::fs::read_to_string(path).unwrap();
    (serde_json::from_str(&text).unwrap(), server)
}

/// `devicepool <args>` in `dir` with the info file's credentials in its environment.
fn run(dir: &Path, info: &Value, args: &[&str]) -> crate::support::Outcome {
    let mut command = devicepool(args).current_dir(dir);
    for (name, value) in info["env"].as_object().expect("env") {
        command = command.env(name, value.as_str().expect("a string"));
    }
    command.run()
}

/// The values of `key` in the entries of `list`.
fn each<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    let entries = list.as_array().expect("a list");
    entries.iter().map(|e| e[key].as_str().unwrap()).collect()
}

#[test]
fn a_served_fleet_seeded_from_a_desired_state_is_planned_applied_and_converges() {
    let lab = LabDir::new(&["plans/user.yaml", "plans/desired.yaml"]);
    std::fs::create_dir_all(lab.path().join("plans")).unwrap();
    std::fs::write(lab.path().join("plans/user.yaml"), desired(&PRODUCTION)).unwrap();
    let info_path = lab.path().join("fleet.json");
    let server = devicepool(&["sim", "serve", "--info", "fleet.json"])
        .args(&["--config", "plans/user.yaml"])
        .current_dir(lab.path())
        .spawn();
    let (info, server) = info_of(&info_path, server);
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&info_path.metadata().unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let env: Vec<&String> = info["env"].as_object().unwrap().keys().collect();
    assert_eq!(
        env,
        [
            "LAB_GITLAB_TOKEN",
            "LAB_LT_KEY",
            "LAB_LT_USER",
            "LAB_MAAS_KEY",
            "LAB_TC_TOKEN",
            "LAB_TF_SECRET"
        ]
    );
    let s = &info["sources"];
    let url = |api: &str, key: &str| s[api][key].as_str().unwrap().to_string();
    let (tc, lt, cli) = (
        url("taskcluster", "root_url"),
        url("lambdatest", "api_url"),
        url("lambdatest", "cli"),
    );
    let (maas, tf, gitlab) = (
        url("maas", "url"),
        url("testflinger", "url"),
        url("gitlab", "url"),
    );
    let docker = url("docker", "host");
    assert!(tc.starts_with("http://127.0.0.1:") && docker.starts_with("unix:///"));
    let sim = Sources {
        taskcluster: &tc,
        lambdatest: &lt,
        cli: &cli,
        maas: &maas,
        testflinger: &tf,
        gitlab: &gitlab,
        docker: &docker,
    };
    std::fs::write(lab.path().join("plans/desired.yaml"), desired(&sim)).unwrap();

    let first = run(
        lab.path(),
        &info,
        &["plan", "--format", "json", "plans/desired.yaml"],
    );
    let plan = first.expect_code(0).json();
    let phones = crate::support::pool_of(&plan, "phones");
    assert_eq!(
        each(&phones["starts"], "udid"),
        ["PHONE-01", "PHONE-02", "PHONE-03"]
    );
    assert_eq!(
        each(&plan["racks"][0]["deploys"], "agent"),
        ["rack-b-01", "rack-b-02", "rack-b-03"]
    );
    let runners = &plan["runner_pools"][0];
    assert_eq!(runners["pool"], "ci");
    assert_eq!(runners["starts"].as_array().unwrap().len(), 2, "{runners}");

    let applied = run(lab.path(), &info, &["apply", "--yes", "plans/desired.yaml"]);
    applied.expect_code(0);
    assert!(
        applied.stdout.contains("launched 3 of 3"),
        "{}",
        applied.stdout
    );
    assert!(
        applied.stdout.contains("submitted 3 of 3"),
        "{}",
        applied.stdout
    );

    let args = ["plan", "--detailed-exitcode", "plans/desired.yaml"];
    let second = run(lab.path(), &info, &args);
    second.expect_code(0);
    assert!(
        second.stdout.contains(
            "0 job(s) to start, 0 machine(s) to deploy, 0 runner(s) to start, 0 runner(s) to remove"
        ),
        "{}",
        second.stdout
    );

    server.terminate();
    let stopped = server.wait();
    stopped.expect_code(0);
    assert!(stopped.stdout.contains("fleet.json"), "{}", stopped.stdout);
    assert!(!info_path.exists(), "the info file goes with the fleet");
}

#[test]
fn an_empty_served_fleet_stops_when_its_stdin_closes() {
    let lab = LabDir::new(&[]);
    let info_path = lab.path().join("fleet.json");
    let server = devicepool(&["sim", "serve", "--info", "fleet.json"])
        .current_dir(lab.path())
        .spawn_with_stdin();
    let (info, mut server) = info_of(&info_path, server);
    let env: Vec<&String> = info["env"].as_object().unwrap().keys().collect();
    assert_eq!(
        env,
        [
            "GITLAB_TOKEN",
            "LT_ACCESS_KEY",
            "LT_USERNAME",
            "MAAS_API_KEY"
        ]
    );
    let cli = Path::new(info["sources"]["lambdatest"]["cli"].as_str().unwrap());
    assert!(cli.is_file(), "the fake hyperexecute CLI is written");
    server.close_stdin();
    server.wait().expect_code(0);
    assert!(!info_path.exists());
    assert!(!cli.exists(), "the fake CLI goes with the fleet");
}

/// The state letter of process `pid` (`T`: stopped), from `/proc/<pid>/stat`.
fn process_state(pid: u64) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(") ")?.1.chars().next()
}

#[test]
fn a_fleet_started_in_the_background_of_an_interactive_shell_serves() {
    // `bash` with job control (`set -m`) on a terminal (`script`): `… &` puts the server in a
    // background process group of that terminal, as an interactive shell does.
    let lab = LabDir::new(&["fleet.json"]);
    let info_path = lab.path().join("fleet.json");
    let info_arg = info_path.to_str().unwrap();
    let terminal = devicepool(&["sim", "serve", "--info", info_arg])
        .current_dir(lab.path())
        .spawn_in_background_of_terminal();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !info_path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let written = info_path.exists();
    let pid = written.then(|| {
        let info: Value = serde_json::from_str(&std::fs::read_to_string(&info_path).unwrap())
            .expect("the info file is whole");
        info["pid"].as_u64().expect("a pid")
    });
    let state = pid.and_then(process_state);
    if let Some(pid) = pid {
        let pid = libc::pid_t::try_from(pid).unwrap();
        // SAFETY: a signal to a process of this test; no memory is passed.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        let gone = Instant::now() + Duration::from_secs(10);
        while process_state(pid as u64).is_some() && Instant::now() < gone {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    drop(terminal);
    assert!(
        written,
        "a background `sim serve &` never wrote its info file"
    );
    assert_ne!(state, Some('T'), "the background server was stopped");
}
