//! Opens the lease engine `settings.lock` names (etcd or Kubernetes), with its files and
//! credentials resolved: relative paths against the desired-state file, the Kubernetes
//! service account's files and `KUBERNETES_SERVICE_HOST`/`_PORT` by default. Sends nothing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::load::{Loaded, LockSettings, SecretFrom};
use crate::lock::etcd::Etcd;
use crate::lock::kubernetes::Kubernetes;
use crate::lock::lease::Backend;
use crate::lock::transport::{TlsFiles, Transport};

/// Where an in-cluster pod finds its service account.
const SERVICE_ACCOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// An engine and the TTL of its lease.
pub type Engine = (Box<dyn Backend>, Duration);

/// The engine and the lease's TTL, or `None` when `settings.lock` is absent (the file lock
/// only).
pub fn open(
    loaded: &Loaded,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Engine>, String> {
    let settings = &loaded.desired.settings;
    let Some(lock) = &settings.lock else {
        return Ok(None);
    };
    // A request to the engine never outlasts a third of the TTL: a renewal stuck longer
    // than that would leave too little of the lease to tell it failed in time.
    let timeout = settings.http.timeout.min(lock.ttl() / 3);
    let resolve = |p: &Option<PathBuf>| p.as_deref().map(|p| loaded.resolve(p));
    let backend: Box<dyn Backend> = match lock {
        LockSettings::Etcd(etcd) => {
            let tls = TlsFiles {
                ca: resolve(&etcd.ca_file),
                cert: resolve(&etcd.cert_file),
                key: resolve(&etcd.key_file),
            };
            let credentials = match (etcd.username(), etcd.password()) {
                (Some(user), Some(password)) => Some((
                    loaded
                        .secret(Some(user), env)
                        .ok_or("the etcd user name is not set")?,
                    loaded
                        .secret(Some(password), env)
                        .ok_or("the etcd password is not set")?,
                )),
                _ => None,
            };
            Box::new(Etcd::new(
                Transport::new(timeout, &tls)?,
                etcd.endpoints.clone(),
                &etcd.prefix,
                // The fleet keys the lease: two fleets sharing one etcd never take each
                // other's lock.
                &settings.fleet,
                etcd.ttl,
                credentials,
            ))
        }
        LockSettings::Kubernetes(k8s) => {
            let account = Path::new(SERVICE_ACCOUNT);
            let url = match &k8s.url {
                Some(url) => url.clone(),
                None => in_cluster_url(env)?,
            };
            let namespace = match &k8s.namespace {
                Some(namespace) => namespace.clone(),
                None => read_trimmed(&account.join("namespace"), "service account namespace")?,
            };
            // A secret file: relative paths are looked up in $CREDENTIALS_DIRECTORY first.
            let default_token = account.join("token");
            let token_file = k8s.token_file.as_deref().unwrap_or(&default_token);
            let token = loaded
                .secret(Some(SecretFrom::File(token_file)), env)
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| {
                    format!(
                        "the bearer token file {} cannot be read or is empty",
                        token_file.display()
                    )
                })?
                .trim()
                .to_string();
            let ca = resolve(&k8s.ca_file).or_else(|| {
                let default = account.join("ca.crt");
                (k8s.url.is_none() || default.exists()).then_some(default)
            });
            let tls = TlsFiles {
                ca,
                ..TlsFiles::default()
            };
            Box::new(Kubernetes {
                transport: Transport::new(timeout, &tls)?,
                url: url.trim_end_matches('/').to_string(),
                namespace,
                name: k8s.name.clone(),
                token,
                ttl: k8s.ttl,
                lease: std::sync::Mutex::new(None),
            })
        }
    };
    Ok(Some((backend, lock.ttl())))
}

/// The API server's URL inside a pod.
fn in_cluster_url(env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    match (env("KUBERNETES_SERVICE_HOST"), env("KUBERNETES_SERVICE_PORT")) {
        (Some(host), Some(port)) if !host.is_empty() && !port.is_empty() => {
            let host = if host.contains(':') { format!("[{host}]") } else { host };
            Ok(format!("https://{host}:{port}"))
        }
        _ => Err(
            "settings.lock.kubernetes has no url and KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are not set (not in a pod?)"
                .into(),
        ),
    }
}

fn read_trimmed(path: &Path, what: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the {what} {}: {e}", path.display()))?;
    let text = text.trim().to_string();
    if text.is_empty() {
        return Err(format!("the {what} {} is empty", path.display()));
    }
    Ok(text)
}
