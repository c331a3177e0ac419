//! How runner pools name and mark what they own: runner descriptions and container names
//! `devicepool-<pool>-<stamp>-<n>`, the container labels, and the maintenance note of a runner
//! paused for removal. Every claim of ownership goes through here; no I/O.

/// Label on every container devicepool creates: the pool's name.
pub const POOL_LABEL: &str = "devicepool.pool";
/// Label holding the GitLab runner id of the container.
pub const RUNNER_LABEL: &str = "devicepool.runner-id";
/// Label marking a container as ours.
pub const MANAGED_LABEL: &str = "devicepool.managed";

/// The maintenance note devicepool sets when it pauses a runner to remove it. A paused runner
/// of ours with this note is a removal cut short; paused without it, a person paused it.
pub const REMOVAL_NOTE: &str = "devicepool: paused for removal";

/// Runner description (and container name) prefix of a pool.
pub fn runner_prefix(pool: &str) -> String {
    format!("devicepool-{pool}-")
}

/// The description (and container name) of the `n`th runner a run started at `stamp` (unix
/// seconds) starts in `pool`: `devicepool-<pool>-<stamp>-<n>`, the shape `is_ours` claims.
pub fn runner_name(pool: &str, stamp: i64, n: u32) -> String {
    format!("{}{stamp}-{n}", runner_prefix(pool))
}

/// True for descriptions devicepool gives the runners of `pool`:
/// `devicepool-<pool>-<stamp>-<n>` exactly, so pool `ci` never claims `ci-big`'s runners.
pub fn is_ours(description: &str, pool: &str) -> bool {
    let Some(rest) = description.strip_prefix(&runner_prefix(pool)) else {
        return false;
    };
    let mut parts = rest.split('-');
    let numeric =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    numeric(parts.next()) && numeric(parts.next()) && parts.next().is_none()
}

#[cfg(test)]
#[path = "conventions_tests.rs"]
mod tests;
