//! A real `etcd` per test (`devicepool_sim::etcd_process`). Without `etcd` on PATH a test is
//! skipped with a printed message, and fails when `CI` is set, where `.ci/run` installed it.

use devicepool_sim::etcd_process::{EtcdProcess, etcd_or_skip};

pub(crate) struct EtcdServer(EtcdProcess);

impl EtcdServer {
    /// Starts etcd; `None` (after saying so) when etcd is not installed outside CI.
    pub(crate) fn start() -> Option<EtcdServer> {
        EtcdServer::start_with(&[])
    }

    /// Starts etcd with authentication on (user `root`, `password`) and auth tokens that
    /// etcd forgets after one idle second.
    pub(crate) fn start_with_auth(password: &str) -> Option<EtcdServer> {
        let etcd = EtcdServer::start_with(&["--auth-token-ttl", "1"])?;
        etcd.0.enable_auth(password).expect("etcd auth is enabled");
        Some(etcd)
    }

    fn start_with(extra: &[&str]) -> Option<EtcdServer> {
        if !etcd_or_skip() {
            return None;
        }
        Some(EtcdServer(
            EtcdProcess::start_with(extra).expect("etcd starts"),
        ))
    }

    /// Stops etcd now, as a lost etcd cluster looks to a run.
    pub(crate) fn stop(&mut self) {
        self.0.stop();
    }

    /// The `settings.lock` YAML (flow style) for this server.
    pub(crate) fn lock_yaml(&self, ttl: &str) -> String {
        format!("{{etcd: {{endpoints: [{}], ttl: {ttl}}}}}", self.0.url())
    }

    /// As [`EtcdServer::lock_yaml`], logging in with `ETCD_USER` and `ETCD_PASSWORD`.
    pub(crate) fn lock_yaml_with_auth(&self, ttl: &str) -> String {
        format!(
            "{{etcd: {{endpoints: [{}], ttl: {ttl}, username_env: ETCD_USER, password_env: ETCD_PASSWORD}}}}",
            self.0.url()
        )
    }
}

/// etcd behind a simulated server that passes every request on, so a test can make one
/// etcd endpoint fail (`server().inject`).
pub(crate) struct EtcdProxy(devicepool_sim::SimServer);

struct PassOn {
    etcd: String,
}

impl devicepool_sim::Api for PassOn {
    fn handle(&self, req: &devicepool_sim::Request) -> devicepool_sim::Response {
        let mut call = ureq::post(format!("{}{}", self.etcd, req.path))
            .config()
            .http_status_as_error(false)
            .build();
        if let Some(token) = req.header("authorization") {
            call = call.header("authorization", token);
        }
        match call.send(&req.body[..]) {
            Ok(mut reply) => {
                let status = reply.status().as_u16();
                let body = reply.body_mut().read_to_string().unwrap_or_default();
                devicepool_sim::Response::text(status, &body)
            }
            Err(e) => devicepool_sim::Response::text(502, &e.to_string()),
        }
    }

    fn error(&self, status: u16, _req: &devicepool_sim::Request) -> devicepool_sim::Response {
        devicepool_sim::Response::json(
            status,
            &serde_json::json!({"error": "etcdserver: request timed out", "code": 14}),
        )
    }
}

impl EtcdProxy {
    /// A proxy in front of `etcd`.
    pub(crate) fn start(etcd: &EtcdServer) -> EtcdProxy {
        let api = std::sync::Arc::new(PassOn {
            etcd: etcd.0.url().to_string(),
        });
        EtcdProxy(devicepool_sim::SimServer::start(api).expect("the proxy starts"))
    }

    pub(crate) fn server(&self) -> &devicepool_sim::SimServer {
        &self.0
    }

    /// The `settings.lock` YAML (flow style) through this proxy.
    pub(crate) fn lock_yaml(&self, ttl: &str) -> String {
        format!("{{etcd: {{endpoints: [{}], ttl: {ttl}}}}}", self.0.url())
    }
}
