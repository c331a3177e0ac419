//! Values the schema lets through but a run cannot use: durations past the longest one
//! devicepool accepts, base URLs that are not http(s) with a host, an empty CLI path, and
//! template names that would reach outside `settings.templates_dir`. Pure checks, no I/O.

use std::path::{Component, Path};
use std::time::Duration;

use super::model::Desired;
use super::validate::Problem;

/// The longest duration any setting accepts. Longer values are typos (`99999999h`) and
/// overflow clock arithmetic.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// Refuses a duration longer than [`MAX_DURATION`] at `pointer`.
pub(crate) fn check_duration(problems: &mut Vec<Problem>, pointer: String, duration: Duration) {
    if duration > MAX_DURATION {
        problems.push(Problem::at(
            pointer,
            "must be at most 30 days (the longest duration devicepool accepts)",
        ));
    }
}

/// Refuses values the schema cannot refuse (each kind's own values: its `check_section`).
pub(super) fn check_values(problems: &mut Vec<Problem>, desired: &Desired) {
    for (pointer, duration) in durations(desired) {
        check_duration(problems, pointer, duration);
    }
    for (pointer, url) in urls(desired) {
        if let Err(why) = check_url(url) {
            problems.push(Problem::at(pointer, format!("{:?} {why}", shown_url(url))));
        }
    }
    if let Some(lt) = &desired.sources.lambdatest
        && lt.cli.as_os_str().to_string_lossy().trim().is_empty()
    {
        problems.push(Problem::at(
            "/sources/lambdatest/cli",
            "must name the hyperexecute CLI (a path, or a name looked up on PATH)",
        ));
    }
    for (pointer, name) in template_keys(desired) {
        if let Err(why) = check_template_name(name) {
            problems.push(Problem::at(
                pointer,
                format!(
                    "{name:?} {why}; a template is a relative path inside settings.templates_dir"
                ),
            ));
        }
    }
}

/// Why `name` may not name a template file, if it may not: it must be a relative path of
/// plain segments, none hidden or `..`, no backslash. The template loader applies the same.
pub fn check_template_name(name: &str) -> Result<(), &'static str> {
    if let Some(flaw) = super::identifiers::text_flaw(name) {
        return Err(flaw);
    }
    if name.contains('\\') {
        return Err("holds a backslash");
    }
    let path = Path::new(name);
    if path.is_absolute() || name.starts_with('/') {
        return Err("is an absolute path");
    }
    for component in path.components() {
        match component {
            Component::Normal(segment) if !segment.to_string_lossy().starts_with('.') => {}
            Component::Normal(_) => return Err("has a hidden segment"),
            Component::ParentDir => return Err("climbs out with '..'"),
            _ => return Err("is not a plain relative path"),
        }
    }
    Ok(())
}

/// Why `url` cannot be a base URL: only http and https, parsed, with a host.
fn check_url(url: &str) -> Result<(), &'static str> {
    match url.split_once("://") {
        Some(("http" | "https", _)) => {}
        Some(_) => return Err("must be an http:// or https:// URL"),
        None => return Err("is not a URL (no http:// or https://)"),
    }
    // A user or password in the URL would be printed wherever the URL is (job files, plans,
    // errors): credentials belong in the `*_env` keys.
    if userinfo_end(url).is_some() {
        return Err("holds a user or password (put credentials in the *_env keys, not the URL)");
    }
    let parsed: ureq::http::Uri = url.parse().map_err(|_| "is not a URL")?;
    match parsed.host() {
        Some(host) if !host.is_empty() => Ok(()),
        _ => Err("has no host"),
    }
}

/// Where the `user:password@` part of `url` ends (the byte after its `@`), if it has one.
fn userinfo_end(url: &str) -> Option<usize> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    authority.rfind('@').map(|at| start + at + 1)
}

/// `url` as it may be shown in an error: any `user:password@` part is `<redacted>@`.
fn shown_url(url: &str) -> String {
    match (userinfo_end(url), url.find("://")) {
        (Some(end), Some(scheme)) => format!("{}://<redacted>@{}", &url[..scheme], &url[end..]),
        _ => url.to_string(),
    }
}

fn urls(desired: &Desired) -> Vec<(String, &str)> {
    let s = &desired.sources;
    let mut out = Vec::new();
    if let Some(tc) = &s.taskcluster {
        out.push(("/sources/taskcluster/root_url".into(), tc.root_url.as_str()));
    }
    if let Some(lt) = &s.lambdatest {
        out.push(("/sources/lambdatest/api_url".into(), lt.api_url.as_str()));
        out.push((
            "/sources/lambdatest/devices_url".into(),
            lt.devices_url.as_str(),
        ));
    }
    if let Some(maas) = &s.maas {
        out.push(("/sources/maas/url".into(), maas.url.as_str()));
    }
    if let Some(tf) = &s.testflinger {
        out.push(("/sources/testflinger/url".into(), tf.url.as_str()));
    }
    if let Some(gl) = &s.gitlab {
        out.push(("/sources/gitlab/url".into(), gl.url.as_str()));
    }
    match &desired.settings.lock {
        Some(super::LockSettings::Etcd(etcd)) => {
            for (i, endpoint) in etcd.endpoints.iter().enumerate() {
                out.push((
                    format!("/settings/lock/etcd/endpoints/{i}"),
                    endpoint.as_str(),
                ));
            }
        }
        Some(super::LockSettings::Kubernetes(k8s)) => {
            if let Some(url) = &k8s.url {
                out.push(("/settings/lock/kubernetes/url".into(), url.as_str()));
            }
        }
        None => {}
    }
    out
}

/// Where each device pool, rack and runner pool names its template: (JSON pointer, name).
pub fn template_keys(desired: &Desired) -> Vec<(String, &str)> {
    crate::reconcilers::template_keys_every_kind(desired)
}

/// Every duration the file sets (or defaults), with its pointer.
fn durations(desired: &Desired) -> Vec<(String, Duration)> {
    let settings = &desired.settings;
    let mut out = vec![
        ("/settings/http/timeout".to_string(), settings.http.timeout),
        ("/settings/http/backoff".to_string(), settings.http.backoff),
        (
            "/settings/launch/stagger".to_string(),
            settings.launch.stagger,
        ),
        (
            "/settings/launch/timeout".to_string(),
            settings.launch.timeout,
        ),
        (
            "/settings/plan_lifetime".to_string(),
            settings.plan_lifetime,
        ),
    ];
    for (name, timeout) in desired.sources.timeouts() {
        if let Some(timeout) = timeout {
            out.push((format!("/sources/{name}/timeout"), timeout));
        }
    }
    if let Some(lt) = &desired.sources.lambdatest {
        out.push(("/sources/lambdatest/job_window".into(), lt.job_window));
        out.push(("/sources/lambdatest/launch_grace".into(), lt.launch_grace));
        out.push(("/sources/lambdatest/stuck_after".into(), lt.stuck_after));
    }
    out
}

#[cfg(test)]
#[path = "values_tests.rs"]
mod tests;
