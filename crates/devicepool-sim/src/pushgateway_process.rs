//! A real Prometheus Pushgateway (Debian's `prometheus-pushgateway`, not a fake) on a free
//! loopback port for the push tests, killed when dropped. Starts nothing when it is not on
//! PATH; says nothing about devicepool.

use std::process::{Child, Command};

use crate::etcd_process::{free_port, installed_or_skip, spawn_until_ready};

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
    installed_or_skip(BINARY, "prometheus-pushgateway")
}

impl PushgatewayProcess {
    /// Starts the gateway and waits (up to 30 s) until `/-/ready` answers.
    pub fn start() -> std::io::Result<PushgatewayProcess> {
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(BINARY);
        command.arg(format!("--web.listen-address=127.0.0.1:{port}"));
        let child = spawn_until_ready(&mut command, &format!("{url}/-/ready"))?;
        Ok(PushgatewayProcess { child, url })
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
