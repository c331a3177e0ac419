//! `settings.lock`: where the run lock lives when several hosts may run devicepool (an etcd
//! lease or a Kubernetes Lease), and the fleet name the lease is keyed by. Plain serde +
//! schemars types with defaults; no I/O, no validation logic.

use std::path::PathBuf;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::friendly_duration;

/// Where the run lock lives besides the state directory's file lock (which is always taken).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum LockSettings {
    /// An etcd v3 lease, through etcd's JSON gateway (`/v3/...`).
    Etcd(EtcdLock),
    /// A `coordination.k8s.io/v1` Lease.
    Kubernetes(KubernetesLock),
}

/// An etcd v3 lease.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EtcdLock {
    /// Client URLs of the etcd members, tried in order, e.g. `https://etcd-1:2379`.
    #[schemars(length(min = 1))]
    pub endpoints: Vec<String>,
    /// Key prefix; the lease is `<prefix>/<fleet>/holder` and the run record
    /// `<prefix>/<fleet>/record`.
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// How long the lease outlives its holder's last renewal (renewed every third of it). A
    /// holder that died is taken over only after this.
    #[serde(default = "default_ttl", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub ttl: Duration,
    /// CA certificate (PEM) that signed the etcd server certificates, instead of the system
    /// roots.
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM) for etcd's client-certificate authentication; with `key_file`.
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    pub key_file: Option<PathBuf>,
    /// Environment variable holding the etcd user name (etcd authentication); with a password.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub username_env: Option<String>,
    /// File holding the etcd user name, instead of `username_env`.
    pub username_file: Option<PathBuf>,
    /// Environment variable holding the etcd password.
    #[schemars(regex(pattern = r"^[A-Za-z_][A-Za-z0-9_]*$"))]
    pub password_env: Option<String>,
    /// File holding the etcd password, instead of `password_env`.
    pub password_file: Option<PathBuf>,
}

/// A `coordination.k8s.io/v1` Lease.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct KubernetesLock {
    /// The Lease's namespace. Absent: the service account's namespace
    /// (`/var/run/secrets/kubernetes.io/serviceaccount/namespace`).
    pub namespace: Option<String>,
    /// The Lease's name.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"))]
    pub name: String,
    /// The API server's URL. Absent: in-cluster, from `KUBERNETES_SERVICE_HOST` and
    /// `KUBERNETES_SERVICE_PORT`.
    #[schemars(url)]
    pub url: Option<String>,
    /// The bearer token file. Absent: the service account's token. A relative path is
    /// resolved against `$CREDENTIALS_DIRECTORY` when set, else against this file.
    pub token_file: Option<PathBuf>,
    /// CA certificate (PEM) of the API server. Absent: the service account's `ca.crt`.
    pub ca_file: Option<PathBuf>,
    /// How long the Lease outlives its holder's last renewal (`leaseDurationSeconds`; renewed
    /// every third of it).
    #[serde(default = "default_ttl", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub ttl: Duration,
}

fn default_prefix() -> String {
    "/devicepool".into()
}

fn default_ttl() -> Duration {
    Duration::from_secs(30)
}

impl LockSettings {
    /// How long the lease outlives its holder's last renewal.
    pub fn ttl(&self) -> Duration {
        match self {
            LockSettings::Etcd(etcd) => etcd.ttl,
            LockSettings::Kubernetes(k8s) => k8s.ttl,
        }
    }
}
