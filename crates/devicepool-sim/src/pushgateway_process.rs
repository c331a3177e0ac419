//! A real Prometheus Pushgateway (Debian's `prometheus-pushgateway`, not a fake) on a free
//! loopback port for the push tests, killed when dropped. Starts nothing when it is not on
//! PATH; says nothing about devicepool.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::etcd_process::{answers_within, free_port};

/// The binary's name in Debian's package (`dpkg -L prometheus-pushgateway`).
const BINARY: &str = "prometheus-pushgateway";

/// A running Pushgateway, keeping its groups in memory only.
pub struct PushgatewayProcess {
    child: Child,
    url: String,
}

/// Whether a test needing the Pushgateway runs: yes when it is installed; when it is not,
/// the test is skipped with a printed message, but fails (panics) when `CI` is set, where
/// `.ci/run` installed it and a skip would hide the push tests.
pub fn pushgateway_or_skip() -> bool {
    if Command::new(BINARY).arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{BINARY} is not on PATH and CI is set; .ci/run installs Debian's prometheus-pushgateway"
    );
    eprintln!(
        "SKIPPED: {BINARY} is not on PATH (apt-get install prometheus-pushgateway to run this test)"
    );
    false
}

impl PushgatewayProcess {
    /// Starts the gateway and waits (up to 20 s) until `/-/ready` answers.
    pub fn start() -> std::io::Result<PushgatewayProcess> {
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let child = Command::new(BINARY)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let mut gateway = PushgatewayProcess { child, url };
        if answers_within(&format!("{}/-/ready", gateway.url), Duration::from_secs(20)) {
            return Ok(gateway);
        }
        gateway.stop();
        Err(std::io::Error::other(format!(
            "{BINARY} did not answer on {} within 20s",
            gateway.url
        )))
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What the gateway exposes for Prometheus to scrape (`GET /metrics`), as text.
    pub fn scrape(&self) -> String {
        let mut answer = ureq::get(format!("{}/metrics", self.url))
            .call()
            .expect("the gateway answers");
        answer.body_mut().read_to_string().expect("a text body")
    }

    /// Stops the gateway now (SIGKILL).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PushgatewayProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
