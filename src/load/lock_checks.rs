//! Load-time rules of `settings.lock` the schema cannot state: a TTL a lease can be renewed
//! within, a usable key prefix and namespace, and files and credentials that go in pairs.
//! Pure checks, no I/O (whether the files can be read is checked when the lock is taken).

use std::time::Duration;

use super::LockSettings;
use super::model::Desired;
use super::validate::Problem;

/// The shortest TTL: renewals go every third of it, and etcd raises shorter TTLs anyway.
const MIN_LOCK_TTL: Duration = Duration::from_secs(3);
/// The longest TTL: a holder that died blocks every other run this long.
const MAX_LOCK_TTL: Duration = Duration::from_secs(3600);

/// Problems of `settings.lock`, each at its key.
pub(super) fn check_lock(problems: &mut Vec<Problem>, desired: &Desired) {
    let Some(lock) = &desired.settings.lock else {
        return;
    };
    let ttl = lock.ttl();
    let section = match lock {
        LockSettings::Etcd(_) => "/settings/lock/etcd",
        LockSettings::Kubernetes(_) => "/settings/lock/kubernetes",
    };
    if !(MIN_LOCK_TTL..=MAX_LOCK_TTL).contains(&ttl) {
        problems.push(Problem::at(
            format!("{section}/ttl"),
            "must be between 3s and 1h (the lease is renewed every third of it; a holder that died blocks others this long)",
        ));
    } else if ttl.subsec_nanos() != 0 {
        // Both engines count a lease in whole seconds: a fraction would be cut off.
        problems.push(Problem::at(
            format!("{section}/ttl"),
            "must be whole seconds, e.g. 30s (etcd and Kubernetes count a lease's TTL in seconds)",
        ));
    }
    match lock {
        LockSettings::Etcd(etcd) => {
            let prefix = &etcd.prefix;
            if !prefix.starts_with('/') || prefix.ends_with('/') || prefix.contains("//") {
                problems.push(Problem::at(
                    format!("{section}/prefix"),
                    "must start with `/`, not end with `/` and have no empty segment, e.g. /devicepool",
                ));
            }
            if etcd.cert_file.is_some() != etcd.key_file.is_some() {
                problems.push(Problem::at(
                    section,
                    "cert_file and key_file go together (client-certificate authentication)",
                ));
            }
            let has_user = etcd.username_env.is_some() || etcd.username_file.is_some();
            let has_password = etcd.password_env.is_some() || etcd.password_file.is_some();
            if has_user != has_password {
                problems.push(Problem::at(
                    section,
                    "a user name (username_env or username_file) and a password (password_env or password_file) go together",
                ));
            }
        }
        LockSettings::Kubernetes(k8s) => {
            if let Some(namespace) = &k8s.namespace
                && !is_dns_label(namespace)
            {
                problems.push(Problem::at(
                    format!("{section}/namespace"),
                    "must be a Kubernetes namespace name: at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit",
                ));
            }
        }
    }
}

/// Whether `name` is an RFC 1123 label, as Kubernetes namespaces are.
fn is_dns_label(name: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    !name.is_empty()
        && name.len() <= 63
        && name.chars().all(ok_char)
        && !name.starts_with('-')
        && !name.ends_with('-')
}
