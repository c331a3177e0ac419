//! The HTTP agent the lease engines are called with: `settings.http.timeout`, no retry, the
//! CA and client certificate files of `settings.lock`, and JSON in and out. Knows no
//! engine's API; never puts a credential in an error.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// An agent for one engine, and how many requests it sent (for the benchmark).
pub struct Transport {
    agent: ureq::Agent,
    sent: std::sync::atomic::AtomicU64,
}

/// The TLS files of an engine, resolved against the desired-state file's directory.
#[derive(Default)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// What an engine answered: status and body.
pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// The largest answer read from an engine (a lease record is a few hundred bytes).
const MAX_REPLY_BYTES: u64 = 1024 * 1024;

impl Transport {
    /// The agent starts as `clients::http::agent_config` does (one global timeout, statuses
    /// are answers, our user agent), written out here because `lock/` imports nothing else of
    /// devicepool: `clients/` imports `lock::SendLog`, so the reverse would be a cycle.
    pub fn new(timeout: Duration, tls: &TlsFiles) -> Result<Transport, String> {
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(concat!("devicepool/", env!("CARGO_PKG_VERSION")));
        if tls.ca.is_some() || tls.cert.is_some() {
            let mut builder = ureq::tls::TlsConfig::builder();
            if let Some(ca) = &tls.ca {
                let pem = read_file(ca, "CA certificate")?;
                let certs = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                        _ => None,
                    })
                    .collect::<Vec<_>>();
                if certs.is_empty() {
                    return Err(format!("{} holds no PEM certificate", ca.display()));
                }
                builder = builder.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
            }
            if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
                let chain =
                    ureq::tls::Certificate::from_pem(&read_file(cert, "client certificate")?)
                        .map_err(|e| format!("{}: {e}", cert.display()))?;
                let key_pem = read_file(key, "client key")?;
                let key = ureq::tls::PrivateKey::from_pem(&key_pem)
                    .map_err(|_| format!("{} holds no PEM private key", key.display()))?;
                builder =
                    builder.client_cert(Some(ureq::tls::ClientCert::new_with_certs(&[chain], key)));
            }
            config = config.tls_config(builder.build());
        }
        Ok(Transport {
            agent: config.build().new_agent(),
            sent: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Sends one request with an optional JSON body and `Authorization` value.
    pub fn send(
        &self,
        method: &str,
        url: &str,
        body: Option<&serde_json::Value>,
        authorization: Option<&str>,
    ) -> Result<Reply, String> {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(url)
            .header("accept", "application/json");
        if body.is_some() {
            builder = builder.header("content-type", "application/json");
        }
        if let Some(auth) = authorization {
            builder = builder.header("authorization", auth);
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let request = builder
            .body(bytes)
            .map_err(|e| format!("{method} {url}: bad request: {e}"))?;
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| format!("{method} {url}: no response: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_REPLY_BYTES)
            .read_to_string()
            .map_err(|e| format!("{method} {url}: cannot read the answer: {e}"))?;
        Ok(Reply { status, body })
    }

    /// How many requests this transport sent.
    pub fn sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn read_file(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))
}

/// The server's words in an error answer: a JSON `message` or `error`, else the body, cut
/// short. Like `http_send::server_message` (not importable here, see `Transport::new`), but
/// cut here: a lease engine's words reach no `Writer::refused` to be cut after redaction.
pub fn server_words(body: &str) -> String {
    let words = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v["message"]
                .as_str()
                .or(v["error"].as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.to_string());
    words.chars().take(300).collect()
}
