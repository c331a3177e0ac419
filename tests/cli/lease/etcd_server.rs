//! A real `etcd` per test (`devicepool_sim::etcd_process`). Without `etcd` on PATH a test is
//! skipped with a printed message, and fails under `CI=true`, where `.ci/run` installed it.

use devicepool_sim::etcd_process::{EtcdProcess, etcd_installed};

pub(crate) struct EtcdServer(EtcdProcess);

impl EtcdServer {
    /// Starts etcd; `None` (after saying so) when etcd is not installed outside CI.
    pub(crate) fn start() -> Option<EtcdServer> {
        if !etcd_installed() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "etcd is not on PATH; .ci/run installs Debian's etcd-server"
            );
            eprintln!(
                "SKIPPED: etcd is not on PATH (apt-get install etcd-server to run this test)"
            );
            return None;
        }
        Some(EtcdServer(EtcdProcess::start().expect("etcd starts")))
    }

    /// Stops etcd now, as a lost etcd cluster looks to a run.
    pub(crate) fn stop(&mut self) {
        self.0.stop();
    }

    /// The `settings.lock` YAML (flow style) for this server.
    pub(crate) fn lock_yaml(&self, ttl: &str) -> String {
        format!("{{etcd: {{endpoints: [{}], ttl: {ttl}}}}}", self.0.url())
    }
}
