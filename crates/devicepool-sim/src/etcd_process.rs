//! A real `etcd` (not a fake) on loopback for the lease tests and benchmark: free ports, a
//! temporary data directory, killed when dropped. Starts nothing when `etcd` is not on
//! PATH; says nothing about devicepool.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running single-member etcd.
pub struct EtcdProcess {
    child: Child,
    url: String,
    _data: tempfile::TempDir,
}

/// A port nobody listens on now.
pub(crate) fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Whether `etcd` can be run here.
pub fn etcd_installed() -> bool {
    Command::new("etcd").arg("--version").output().is_ok()
}

/// Whether a test needing etcd runs: yes when it is installed; when it is not, the test is
/// skipped with a printed message, but fails (panics) when `CI` is set to anything, where
/// CI installed etcd and a skip would hide the lease tests.
pub fn etcd_or_skip() -> bool {
    match decide(etcd_installed(), std::env::var_os("CI").as_deref()) {
        Ok(run) => run,
        Err(why) => panic!("{why}"),
    }
}

/// [`etcd_or_skip`] without the environment: `Ok(false)` to skip, `Err` to fail.
fn decide(installed: bool, ci: Option<&std::ffi::OsStr>) -> Result<bool, String> {
    if installed {
        return Ok(true);
    }
    if ci.is_some() {
        return Err(
            "etcd is not on PATH and CI is set; .ci/run installs Debian's etcd-server".into(),
        );
    }
    eprintln!("SKIPPED: etcd is not on PATH (apt-get install etcd-server to run this test)");
    Ok(false)
}

impl EtcdProcess {
    /// Starts etcd and waits (up to 30 s) until `/health` answers.
    pub fn start() -> std::io::Result<EtcdProcess> {
        EtcdProcess::start_with(&[])
    }

    /// Starts etcd with `extra` flags (e.g. `--auth-token-ttl 1`), as [`EtcdProcess::start`].
    pub fn start_with(extra: &[&str]) -> std::io::Result<EtcdProcess> {
        let data = tempfile::tempdir()?;
        let (client, peer) = (free_port()?, free_port()?);
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let mut command = Command::new("etcd");
        command
            .args(["--name", "default", "--data-dir"])
            .arg(data.path())
            .args([
                "--listen-client-urls",
                &url,
                "--advertise-client-urls",
                &url,
            ])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("default={peer_url}")])
            .args(extra);
        let child = spawn_until_ready(&mut command, &format!("{url}/health"))?;
        Ok(EtcdProcess {
            child,
            url,
            _data: data,
        })
    }

    /// The client URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Turns etcd authentication on with `etcdctl`: user `root` with `password` and the
    /// `root` role.
    pub fn enable_auth(&self, password: &str) -> std::io::Result<()> {
        let steps: [&[&str]; 3] = [
            &["user", "add", &format!("root:{password}")],
            &["user", "grant-role", "root", "root"],
            &["auth", "enable"],
        ];
        for step in steps {
            let out = Command::new("etcdctl")
                .args(["--endpoints", &self.url])
                .args(step)
                .output()?;
            if !out.status.success() {
                return Err(std::io::Error::other(format!(
                    "etcdctl {}: {}",
                    step[0],
                    String::from_utf8_lossy(&out.stderr)
                )));
            }
        }
        Ok(())
    }

    /// Stops etcd now (SIGKILL), as a lost etcd cluster looks to a client.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` (its output dropped) and waits up to 30 s until `ready_url` answers 200;
/// a server that does not is killed and named in the error.
pub(crate) fn spawn_until_ready(command: &mut Command, ready_url: &str) -> std::io::Result<Child> {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if answers_within(ready_url, Duration::from_secs(30)) {
        return Ok(child);
    }
    let _ = child.kill();
    let _ = child.wait();
    let program = command.get_program().to_string_lossy().into_owned();
    Err(std::io::Error::other(format!(
        "{program} did not answer {ready_url} within 30s"
    )))
}

/// Whether a test needing `program` (of Debian's package `package`) runs: yes when it runs
/// (`program --version`); when it does not, the test is skipped with a printed message, but
/// fails (panics) when `CI` is set, where `.ci/run` installed it and a skip would hide the test.
pub(crate) fn installed_or_skip(program: &str, package: &str) -> bool {
    if Command::new(program).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{program} is missing and CI is set; .ci/run installs Debian's {package}"
    );
    eprintln!("SKIPPED: {program} is missing (apt-get install {package} to run this test)");
    false
}

/// Whether `url` answers 200 to a GET within `limit`, asked every 50 ms: a server started
/// as a child process is ready.
pub(crate) fn answers_within(url: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ureq::get(url).call().is_ok_and(|r| r.status() == 200) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

impl Drop for EtcdProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
#[path = "etcd_process_tests.rs"]
mod tests;
