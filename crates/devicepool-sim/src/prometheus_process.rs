//! A real Prometheus server (Debian's `prometheus`, not a fake) on a free loopback port,
//! scraping one target every second, for the dashboard test; killed when dropped. Starts
//! nothing when it is not installed; says nothing about devicepool.

use std::process::{Child, Command};

use serde_json::Value;

use crate::etcd_process::{free_port, installed_or_skip, spawn_until_ready};

/// Where Debian's package puts the server (`dpkg -L prometheus`).
const BINARY: &str = "/usr/bin/prometheus";

/// A running Prometheus keeping its data in a temporary directory.
pub struct PrometheusProcess {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

/// Whether a test needing Prometheus runs: yes when it is installed; when it is not, the
/// test is skipped with a printed message, but fails (panics) when `CI` is set, where
/// `.ci/run` installed it and a skip would hide the test.
pub fn prometheus_or_skip() -> bool {
    installed_or_skip(BINARY, "prometheus")
}

impl PrometheusProcess {
    /// Starts Prometheus scraping `target` (`host:port`, its samples' labels kept as they
    /// are: `honor_labels`) every second, and waits (up to 30 s) until `/-/ready` answers.
    pub fn start(target: &str) -> std::io::Result<PrometheusProcess> {
        let dir = tempfile::tempdir()?;
        let config = dir.path().join("prom.yml");
        let yaml = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  \
             - job_name: gateway\n    honor_labels: true\n    static_configs:\n      \
             - targets: ['{target}']\n"
        );
        std::fs::write(&config, yaml)?;
        let port = free_port()?;
        let url = format!("http://127.0.0.1:{port}");
        let mut command = Command::new(BINARY);
        command
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"));
        let child = spawn_until_ready(&mut command, &format!("{url}/-/ready"))?;
        Ok(PrometheusProcess {
            child,
            url,
            _dir: dir,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The result vector of the instant query `expr` (`GET /api/v1/query`), or the error
    /// Prometheus gave (a bad expression is a 400 with `errorType` and `error`).
    pub fn query(&self, expr: &str) -> Result<Vec<Value>, String> {
        let answer = ureq::get(format!("{}/api/v1/query", self.url))
            .query("query", expr)
            .config()
            .http_status_as_error(false)
            .build()
            .call()
            .map_err(|e| format!("{expr}: {e}"))?;
        let status = answer.status();
        let body: Value = answer
            .into_body()
            .read_json()
            .map_err(|e| format!("{expr}: HTTP {status}, {e}"))?;
        if body["status"] != "success" {
            return Err(format!("{expr}: HTTP {status}, {}", body["error"]));
        }
        match &body["data"]["result"] {
            Value::Array(result) => Ok(result.clone()),
            other => Err(format!("{expr}: not a vector: {other}")),
        }
    }

    /// Stops Prometheus now (SIGKILL).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrometheusProcess {
    fn drop(&mut self) {
        self.stop();
    }
}
