//! How runner pools name and mark what they own: runner names `devicepool-<pool>-<stamp>-<n>`
//! (the description adds the fleet markers `fleet:<fleet>` and, with a key, `mac:<hex>`),
//! containers `devicepool-<pool>-r<runner id>` with their labels, and the maintenance note of
//! a runner paused for removal or for a roll-out. Every claim of ownership goes through here; no I/O.

use std::collections::BTreeMap;

use crate::reconcilers::ownership::{Marks, Object, Ownership, Verdict};
use crate::reconcilers::rollout::{read_spec_marker, spec_marker};

/// Label on every container devicepool creates: the pool's name.
pub const POOL_LABEL: &str = "devicepool.pool";
/// Label holding the GitLab runner id of the container.
pub const RUNNER_LABEL: &str = "devicepool.runner-id";
/// Label marking a container as ours.
pub const MANAGED_LABEL: &str = "devicepool.managed";
/// Label holding the fleet of the container.
pub const FLEET_LABEL: &str = "devicepool.fleet";
/// Label holding the container's ownership MAC (with a key).
pub const MAC_LABEL: &str = "devicepool.mac";
/// Label holding the digest of the pool's spec the container was made from (`spec:<hex>`).
pub const SPEC_LABEL: &str = "devicepool.spec";

/// The maintenance note devicepool sets when it pauses a runner to remove it. A paused runner
/// of ours with this note is a removal cut short; paused without it, a person paused it.
pub const REMOVAL_NOTE: &str = "devicepool: paused for removal";

/// The maintenance note devicepool sets when it pauses an outdated busy runner for a roll-out
/// (`idle_only: false`): it takes no new job, and once idle it is replaced. A paused runner of
/// ours with this note is devicepool's to handle, never left alone.
pub const ROLLOUT_NOTE: &str = "devicepool: paused for roll-out";

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

/// The GitLab description of the runner `name` of `pool`: the name, then its fleet markers.
pub fn runner_description(owner: &Ownership<'_>, pool: &str, name: &str) -> String {
    let mut words = vec![name.to_string()];
    words.extend(owner.marks(Object::Runner, pool, name));
    words.join(" ")
}

/// A description naming a runner of `pool` (its name, then only fleet markers): the name and
/// what the runner is to `owner`.
pub fn runner_claim<'a>(
    description: &'a str,
    pool: &str,
    owner: &Ownership<'_>,
) -> Option<(&'a str, Verdict, bool)> {
    let mut words = description.split(' ');
    let name = words.next().filter(|name| is_ours(name, pool))?;
    let marks = Ownership::read_marks(words)?;
    let unmarked = marks.fleet.is_none();
    Some((
        name,
        owner.judge(marks, Object::Runner, pool, name),
        unmarked,
    ))
}

/// The labels devicepool sets on the container of runner `runner_id` of `pool` made from the
/// spec digest `spec`, whatever its template says.
pub fn container_labels(
    owner: &Ownership<'_>,
    pool: &str,
    runner_id: u64,
    spec: Option<&str>,
) -> Vec<(&'static str, String)> {
    let id = runner_id.to_string();
    let mut labels = vec![
        (MANAGED_LABEL, "true".to_string()),
        (POOL_LABEL, pool.to_string()),
        (RUNNER_LABEL, id.clone()),
        (FLEET_LABEL, owner.fleet.to_string()),
    ];
    labels.extend(
        owner
            .mac(Object::Container, pool, &id)
            .map(|mac| (MAC_LABEL, mac)),
    );
    labels.extend(spec.map(|spec| (SPEC_LABEL, spec_marker(spec))));
    labels
}

/// The spec digest a container's `devicepool.spec` label carries, if it is well formed (one
/// that is not is read as no label: an unknown spec, never an outdated one).
pub fn container_spec(labels: &BTreeMap<String, String>) -> Option<String> {
    read_spec_marker(labels.get(SPEC_LABEL)?).map(str::to_string)
}

/// What a container carrying `pool`'s labels is to `owner`, with the runner id it serves;
/// `Err` says why it is a look-alike (no runner id: a half-labelled container is never ours).
pub fn container_claim(
    labels: &BTreeMap<String, String>,
    pool: &str,
    owner: &Ownership<'_>,
) -> Result<(u64, Verdict), &'static str> {
    let Some(runner_id) = labels.get(RUNNER_LABEL).and_then(|v| v.parse::<u64>().ok()) else {
        return Err("it carries no devicepool.runner-id label");
    };
    let marks = Marks {
        fleet: labels.get(FLEET_LABEL).map(String::as_str),
        mac: labels.get(MAC_LABEL).map(String::as_str),
        spec: None,
    };
    let verdict = owner.judge(marks, Object::Container, pool, &runner_id.to_string());
    Ok((runner_id, verdict))
}

#[cfg(test)]
#[path = "conventions_tests.rs"]
mod tests;
