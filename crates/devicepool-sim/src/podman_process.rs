//! A real Podman (not a fake) serving its Docker-compatible API on a unix socket in a temp
//! dir, for the runner-pool test on a real engine: a private configuration (runc, cgroupfs,
//! vfs storage, file events, no network, no ulimits above the host's), a pool image
//! imported from busybox-static (no registry is needed), every container removed and the
//! service stopped when dropped. Says nothing about devicepool.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The pool image the service knows: busybox's applets and nothing else.
pub const POOL_IMAGE: &str = "localhost/devicepool-busybox:test";
/// Where Debian's busybox-static puts its one binary.
const BUSYBOX: &str = "/bin/busybox";
/// The applets the image links to busybox.
const APPLETS: &[&str] = &["sh", "sleep", "echo", "cat", "true", "env"];

/// A running `podman system service` with its own storage, configuration and socket.
pub struct PodmanProcess {
    child: Option<Child>,
    dir: tempfile::TempDir,
}

/// A container as `podman ps --all --format json` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PodmanContainer {
    pub id: String,
    pub name: String,
    /// `created`, `running`, `exited`, …
    pub state: String,
    pub labels: std::collections::BTreeMap<String, String>,
}

/// A Podman for a test, or `None` after saying why it cannot start here (no podman, no
/// busybox-static, a container that will not let it run). With `CI` set this panics instead:
/// `.ci/run` installs podman, runc and busybox-static, and a skip would hide the test.
pub fn podman_or_skip() -> Option<PodmanProcess> {
    match PodmanProcess::start() {
        Ok(podman) => Some(podman),
        Err(e) if std::env::var_os("CI").is_some() => panic!(
            "podman cannot start here and CI is set (.ci/run installs podman, runc and busybox-static): {e}"
        ),
        Err(e) => {
            eprintln!(
                "SKIPPED: podman cannot start here (apt-get install podman runc busybox-static to run this test): {e}"
            );
            None
        }
    }
}

impl PodmanProcess {
    /// Writes the configuration, imports the pool image and starts the service; waits (up to
    /// 30 s) until its socket answers `/_ping`.
    pub fn start() -> io::Result<PodmanProcess> {
        if !Path::new(BUSYBOX).is_file() {
            return Err(io::Error::other(format!("{BUSYBOX} is missing")));
        }
        let dir = tempfile::Builder::new()
            .prefix("devicepool-podman")
            .tempdir()?;
        let mut podman = PodmanProcess { child: None, dir };
        podman.write_configuration()?;
        podman.import_image()?;
        let socket = format!("unix://{}", podman.socket().display());
        let log = std::fs::File::create(podman.path("service.log"))?;
        let child = podman
            .command()
            .args(["system", "service", "--time=0", &socket])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| io::Error::other(format!("cannot run podman: {e}")))?;
        podman.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if podman.ping() {
                return Ok(podman);
            }
            if let Some(status) = podman.child.as_mut().and_then(|c| c.try_wait().ok()?) {
                let log = std::fs::read_to_string(podman.path("service.log")).unwrap_or_default();
                return Err(io::Error::other(format!(
                    "podman system service exited ({status}): {}",
                    log.trim()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(io::Error::other(format!(
            "podman did not answer on {} within 30s",
            podman.socket().display()
        )))
    }

    /// The socket's path.
    pub fn socket(&self) -> PathBuf {
        self.path("podman.sock")
    }

    /// `unix:///…/podman.sock`, as `DOCKER_HOST` spells it.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// Every container (running or not), as the podman CLI lists it.
    pub fn containers(&self) -> io::Result<Vec<PodmanContainer>> {
        let out = run(self.command().args(["ps", "--all", "--format", "json"]))?;
        let listed: Value = serde_json::from_slice(&out.stdout).map_err(io::Error::other)?;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        Ok(listed
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| PodmanContainer {
                id: text(&c["Id"]),
                name: c["Names"].get(0).map(text).unwrap_or_default(),
                state: text(&c["State"]),
                labels: c["Labels"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), text(v)))
                    .collect(),
            })
            .collect())
    }

    /// Removes every container, then stops the service.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = self
                .command()
                .args(["rm", "--all", "--force", "--time", "0"])
                .output();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `podman` with this instance's storage, configuration and runtime settings.
    fn command(&self) -> Command {
        let mut command = Command::new("podman");
        command
            .env("CONTAINERS_CONF", self.path("containers.conf"))
            .env("CONTAINERS_STORAGE_CONF", self.path("storage.conf"))
            .arg("--root")
            .arg(self.path("root"))
            .arg("--runroot")
            .arg(self.path("run"))
            .args(["--storage-driver", "vfs", "--cgroup-manager", "cgroupfs"])
            .args(["--runtime", "runc", "--events-backend", "file"])
            .stdin(Stdio::null());
        command
    }

    fn write_configuration(&self) -> io::Result<()> {
        let at = |name: &str| self.path(name).display().to_string();
        // No default ulimits: the containers then get the service's own limits, which are
        // the host's (here nofile 20000, nproc 32768). Naming any one limit makes Podman 4.3
        // raise the others to its defaults (nofile 1048576, nproc 4194304), above a CI
        // container's hard limits, and runc fails every start with "error setting rlimits"
        // (seen with the hardened runner template: its capabilities are dropped).
        for sub in ["tmp", "net"] {
            std::fs::create_dir_all(self.path(sub))?;
        }
        let containers = format!(
            "[containers]\nnetns = \"none\"\ndefault_ulimits = []\nlog_driver = \"k8s-file\"\n\
             [engine]\nruntime = \"runc\"\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n\
             events_logfile_path = \"{}\"\ntmp_dir = \"{}\"\nstatic_dir = \"{}\"\nvolume_path = \"{}\"\n\
             [network]\nnetwork_config_dir = \"{}\"\n",
            at("events.log"),
            at("tmp"),
            at("root/libpod"),
            at("root/volumes"),
            at("net"),
        );
        std::fs::write(self.path("containers.conf"), containers)?;
        let storage = format!(
            "[storage]\ndriver = \"vfs\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            at("root"),
            at("run")
        );
        std::fs::write(self.path("storage.conf"), storage)
    }

    /// A rootfs of busybox and its applets, imported as [`POOL_IMAGE`].
    fn import_image(&self) -> io::Result<()> {
        let bin = self.path("rootfs/bin");
        std::fs::create_dir_all(&bin)?;
        std::fs::copy(BUSYBOX, bin.join("busybox"))?;
        for applet in APPLETS {
            std::os::unix::fs::symlink("busybox", bin.join(applet))?;
        }
        let tarball = self.path("rootfs.tar");
        run(Command::new("tar")
            .arg("-C")
            .arg(self.path("rootfs"))
            .arg("-cf")
            .arg(&tarball)
            .arg("."))?;
        run(self.command().arg("import").arg(&tarball).arg(POOL_IMAGE))?;
        Ok(())
    }

    /// Whether the service answers `GET /_ping` on its socket.
    fn ping(&self) -> bool {
        use std::io::{Read as _, Write as _};
        let Ok(mut stream) = std::os::unix::net::UnixStream::connect(self.socket()) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
        let request = b"GET /_ping HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
        let mut answer = String::new();
        stream.write_all(request).is_ok()
            && stream.read_to_string(&mut answer).is_ok()
            && answer.starts_with("HTTP/1.1 200")
    }
}

impl Drop for PodmanProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs `command`: its output, or why it could not run or what it said when it failed.
fn run(command: &mut Command) -> io::Result<Output> {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command
        .output()
        .map_err(|e| io::Error::other(format!("cannot run {program}: {e}")))?;
    if out.status.success() {
        return Ok(out);
    }
    Err(io::Error::other(format!(
        "{program} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    )))
}
