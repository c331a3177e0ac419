//! CLIENTS: one module per API, its read half and its write half together, over one HTTP
//! layer for reads (`http`: retries for GETs) and one for mutations (`http_send`: never
//! retried once sent). Clients know the wire, not the reconcilers: they decide nothing.

pub mod decode;
pub mod docker;
pub mod gitlab;
pub mod http;
pub mod http_send;
pub mod lambdatest;
pub mod maas;
pub mod pushgateway;
pub mod reply_decode;
pub mod request_stats;
pub mod taskcluster;
pub mod testflinger;
pub mod unix_socket;

use crate::secret::Secret;

/// Credentials the reads need, taken from the environment by the caller.
pub struct ReadCredentials {
    pub lambdatest_username: Secret,
    pub lambdatest_access_key: Secret,
    pub maas_api_key: Secret,
    /// Testflinger client credentials and the token they got, when the server wants one:
    /// one token serves the snapshot and the deploys, renewed only near its expiry.
    pub testflinger_tokens: Option<std::sync::Mutex<testflinger::TokenSource>>,
    /// GitLab token (admin, `create_runner` scope).
    pub gitlab_token: Secret,
    /// Docker host, resolved at the edge (`sources.docker.host`, `DOCKER_HOST`, the socket).
    pub docker_host: String,
}

impl ReadCredentials {
    pub(crate) fn basic_authorization(&self) -> Secret {
        use base64::Engine;
        let pair = format!(
            "{}:{}",
            self.lambdatest_username.expose(),
            self.lambdatest_access_key.expose()
        );
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        Secret::new(format!("Basic {encoded}"))
    }
}
