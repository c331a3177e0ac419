//! A real `etcd` per test, on loopback with free ports and a temporary data directory,
//! killed when dropped. Without `etcd` on PATH a test is skipped with a printed message
//! (and fails under `CI=true`, where `.ci/run` installed it).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) struct EtcdServer {
    child: Child,
    pub(crate) url: String,
    _data: tempfile::TempDir,
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl EtcdServer {
    /// Starts etcd and waits until it answers; `None` (after saying so) when etcd is not
    /// installed outside CI.
    pub(crate) fn start() -> Option<EtcdServer> {
        if Command::new("etcd").arg("--version").output().is_err() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "etcd is not on PATH; .ci/run installs Debian's etcd-server"
            );
            eprintln!(
                "SKIPPED: etcd is not on PATH (apt-get install etcd-server to run this test)"
            );
            return None;
        }
        let data = tempfile::tempdir().expect("temp dir");
        let (client, peer) = (free_port(), free_port());
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let child = Command::new("etcd")
            .args(["--name", "default", "--data-dir"])
            .arg(data.path())
            .args([
                "--listen-client-urls",
                &url,
                "--advertise-client-urls",
                &url,
            ])
            .args([
                "--listen-peer-urls",
                &peer_url,
                "--initial-advertise-peer-urls",
                &peer_url,
            ])
            .args(["--initial-cluster", &format!("default={peer_url}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcd starts");
        let server = EtcdServer {
            child,
            url,
            _data: data,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let health = ureq::get(format!("{}/health", server.url)).call();
            if health.is_ok_and(|r| r.status() == 200) {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("etcd did not answer on {} within 20s", server.url);
    }

    /// Stops etcd now (SIGKILL), as a lost etcd cluster looks to a run.
    pub(crate) fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The `settings.lock` YAML (flow style) for this server.
    pub(crate) fn lock_yaml(&self, ttl: &str) -> String {
        format!("{{etcd: {{endpoints: [{}], ttl: {ttl}}}}}", self.url)
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        self.stop();
    }
}
