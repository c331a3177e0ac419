//! The test harness: a `Lab` is a simulated fleet, a temp directory holding a desired-state
//! file that points at it, and a fake `hyperexecute`; `lab.run(..)` drives the real binary.
//! Every run's output and every lab's files pass the secret guard (`secret_guard`).

mod invocation;
mod lab_dir;
mod secret_guard;
mod text;

use std::path::{Path, PathBuf};

use devicepool_sim::{Fleet, LoggedRequest, SIM_ACCESS_KEY, SIM_USERNAME};

pub(crate) use invocation::{
    Invocation, Running, binary, devicepool, external_tool, peak_rss_bytes,
};
pub(crate) use lab_dir::LabDir;
pub(crate) use secret_guard::{
    TC_TOKEN_PREFIX, TF_CLIENT_SECRET, WRONG_LT_ACCESS_KEY, WRONG_MAAS_API_KEY,
};
pub(crate) use text::{text_filters, wall_clock};

/// One device pool of a lab: name, device count, pending tasks.
pub(crate) struct PoolSpec {
    pub(crate) name: &'static str,
    pub(crate) devices: usize,
    pub(crate) pending: u64,
    pub(crate) max_starts: u32,
}

pub(crate) fn pool(name: &'static str, devices: usize, pending: u64) -> PoolSpec {
    PoolSpec {
        name,
        devices,
        pending,
        max_starts: 10,
    }
}

impl PoolSpec {
    pub(crate) fn max_starts(mut self, n: u32) -> Self {
        self.max_starts = n;
        self
    }
}

pub(crate) struct Lab {
    pub(crate) fleet: Fleet,
    pub(crate) dir: LabDir,
    pub(crate) config: PathBuf,
    pub(crate) cli: PathBuf,
    /// Extra YAML appended under `sources.lambdatest`.
    pub(crate) lambdatest_extra: String,
    pools: Vec<PoolSpec>,
}

/// The Taskcluster token a lab hands a pool (the guard knows the prefix).
pub(crate) fn token_of(pool: &str) -> String {
    format!("{TC_TOKEN_PREFIX}{pool}-Q8v3Zt")
}

pub(crate) fn token_env(pool: &str) -> String {
    format!("TC_TOKEN_{}", pool.to_uppercase().replace('-', "_"))
}

/// A pool of device group `group` as desired-state YAML, `settings` (`key: value` pairs) after
/// its group; its task queue in `lab` is set to `pending` tasks.
pub(crate) fn grouped_pool(
    lab: &Lab,
    (name, group, pending): (&str, &str, u64),
    settings: &[(&str, String)],
) -> String {
    lab.fleet
        .taskcluster
        .set_counts(&queue_of(name), pending, 0);
    let mut yaml = format!(
        "  {name}:\n    task_queue: {queue}\n    client_id: project/autophone/{name}\n    \
         access_token_env: {env}\n    group: {group}\n",
        queue = queue_of(name),
        env = token_env(name),
    );
    for (key, value) in settings {
        yaml.push_str(&format!("    {key}: {value}\n"));
    }
    yaml
}

/// Runs the binary in `lab` with the Taskcluster token of each of `pools` in its environment.
pub(crate) fn run_with_tokens<'a>(
    lab: &Lab,
    pools: impl IntoIterator<Item = &'a str>,
    args: &[&str],
) -> Outcome {
    let mut command = lab.command(args);
    for name in pools {
        command = command.env(&token_env(name), token_of(name));
    }
    command.run()
}

pub(crate) fn udid(pool: &str, i: usize) -> String {
    format!("{}-{i:02}", pool.to_uppercase())
}

pub(crate) fn queue_of(pool: &str) -> String {
    format!("proj-autophone/gecko-t-{pool}")
}

impl Lab {
    /// A fleet where every device of every pool is `active` and the queues hold the pending
    /// counts; the desired state is written to `plans/devicepool.yaml`.
    pub(crate) fn new(pools: Vec<PoolSpec>) -> Lab {
        let fleet = Fleet::start().expect("fleet starts");
        let dir = LabDir::new(&["plans/devicepool.yaml", "hyperexecute"]);
        let cli = fleet
            .write_fake_cli(dir.path(), invocation::binary())
            .expect("fake cli");
        for spec in &pools {
            fleet
                .taskcluster
                .set_counts(&queue_of(spec.name), spec.pending, 0);
            for i in 1..=spec.devices {
                fleet
                    .lambdatest
                    .add_device(&udid(spec.name, i), "Galaxy A55 5G", "active");
            }
        }
        std::fs::create_dir_all(dir.path().join("plans")).unwrap();
        let lab = Lab {
            config: dir.path().join("plans/devicepool.yaml"),
            fleet,
            dir,
            cli,
            lambdatest_extra: String::new(),
            pools,
        };
        lab.write_config();
        lab
    }

    /// The desired-state YAML for this lab.
    pub(crate) fn config_yaml(&self) -> String {
        let mut yaml = format!(
            "version: 1\nsettings:\n  http:\n    timeout: 2s\n    retries: 1\n    backoff: 10ms\n  launch:\n    stagger: 0ms\nsources:\n  taskcluster:\n    root_url: {}\n  lambdatest:\n    api_url: {lt}\n    devices_url: {lt}\n    cli: {}\n{}device_pools:\n",
            self.fleet.taskcluster.url(),
            self.cli.display(),
            if self.lambdatest_extra.contains("max_initiated") {
                self.lambdatest_extra.clone()
            } else {
                format!("    max_initiated: 100\n{}", self.lambdatest_extra)
            },
            lt = self.fleet.lambdatest.url(),
        );
        for spec in &self.pools {
            let devices: Vec<String> = (1..=spec.devices).map(|i| udid(spec.name, i)).collect();
            yaml.push_str(&format!(
                "  {name}:\n    task_queue: {queue}\n    client_id: project/autophone/{name}\n    access_token_env: {env}\n    max_starts_per_run: {max}\n    devices: [{devices}]\n",
                name = spec.name,
                queue = queue_of(spec.name),
                env = token_env(spec.name),
                max = spec.max_starts,
                devices = devices.join(", "),
            ));
        }
        yaml
    }

    /// Writes `source` as `templates/<file>` and makes pool `pool` render it; the other pools
    /// keep the built-in template.
    pub(crate) fn use_template(&self, pool: &str, file: &str, source: &str) {
        std::fs::create_dir_all(self.path("templates")).unwrap();
        std::fs::write(self.path("templates").join(file), source).unwrap();
        let client = format!("    client_id: project/autophone/{pool}\n");
        let yaml = self
            .config_yaml()
            .replacen(
                "settings:\n",
                "settings:\n  templates_dir: ../templates\n",
                1,
            )
            .replacen(&client, &format!("{client}    template: {file}\n"), 1);
        std::fs::write(&self.config, yaml).unwrap();
    }

    pub(crate) fn write_config(&self) {
        std::fs::write(&self.config, self.config_yaml()).unwrap();
    }

    pub(crate) fn set_lambdatest_extra(&mut self, extra: &str) {
        self.lambdatest_extra = extra.to_string();
        self.write_config();
    }

    /// The binary with credentials in its environment, run in the lab directory.
    pub(crate) fn command(&self, args: &[&str]) -> Invocation {
        let mut cmd = devicepool(args)
            .current_dir(self.dir.path())
            .env("LT_USERNAME", SIM_USERNAME)
            .env("LT_ACCESS_KEY", SIM_ACCESS_KEY);
        for spec in &self.pools {
            cmd = cmd.env(&token_env(spec.name), token_of(spec.name));
        }
        cmd
    }

    /// Runs the binary; returns (exit code, stdout, stderr).
    pub(crate) fn run(&self, args: &[&str]) -> Outcome {
        self.command(args).run()
    }

    /// Every request both fakes received.
    pub(crate) fn requests(&self) -> Vec<LoggedRequest> {
        let mut all = self.fleet.taskcluster.server().requests();
        all.extend(self.fleet.lambdatest.server().requests());
        all
    }

    /// The device of every job launched on the fleet, sorted (a device twice: two jobs).
    pub(crate) fn launched_devices(&self) -> Vec<String> {
        let mut devices: Vec<String> = self
            .fleet
            .lambdatest
            .launches()
            .iter()
            .filter_map(|j| j.fixed_ip.clone())
            .collect();
        devices.sort();
        devices
    }

    /// Puts a shell script in front of the fake CLI: `body(cli)` is the script after its
    /// `#!/bin/sh` line, given the fake CLI's quoted path; the config then names the script.
    pub(crate) fn wrap_cli(&mut self, body: impl Fn(&str) -> String) {
        let wrapper = self.path("hyperexecute-wrapped");
        let cli = format!("'{}'", self.cli.display());
        std::fs::write(&wrapper, format!("#!/bin/sh\n{}", body(&cli))).unwrap();
        let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
        std::fs::set_permissions(&wrapper, executable).unwrap();
        self.cli = wrapper;
        self.write_config();
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub(crate) fn config_arg(&self) -> &str {
        self.config.to_str().unwrap()
    }
}

/// What one run of the binary did; its stdout and stderr already passed the secret guard.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Outcome {
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "unexpected exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// All files under `dir`, recursively.
pub(crate) fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The pool entry of a JSON plan.
pub(crate) fn pool_of<'a>(plan: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    plan["device_pools"]
        .as_array()
        .expect("device_pools array")
        .iter()
        .find(|p| p["pool"] == name)
        .unwrap_or_else(|| panic!("pool {name} missing from plan"))
}

/// The actions of an apply report (`--format json`) of one kind (`device_pool`, `rack`,
/// `runner_pool`) that were tried: done, failed or kept, not skipped.
pub(crate) fn tried<'a>(report: &'a serde_json::Value, kind: &str) -> Vec<&'a serde_json::Value> {
    let actions = report["actions"].as_array().expect("an apply report");
    actions
        .iter()
        .filter(|a| a["kind"] == kind && a["outcome"] != "skipped")
        .collect()
}

/// The skipped actions of an apply report, each as `<pool> <target>: <reason>`.
pub(crate) fn skip_lines(report: &serde_json::Value) -> Vec<String> {
    let actions = report["actions"].as_array().expect("an apply report");
    actions
        .iter()
        .filter(|a| a["outcome"] == "skipped")
        .map(|a| {
            let field = |value: &serde_json::Value| value.as_str().unwrap().to_string();
            let (pool, target) = (field(&a["pool"]), field(&a["target"]));
            format!("{pool} {target}: {}", field(&a["error"]["message"]))
        })
        .collect()
}
