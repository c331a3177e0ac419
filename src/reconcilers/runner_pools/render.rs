//! A runner pool's container specs: one Docker create body per runner, from the pool's
//! template, refused unless devicepool can pass it on whole and the daemon's Engine API version
//! knows every key. In a plan the token is redacted and the runner id not yet known; apply
//! renders each again with the real ones. Sends nothing.

use minijinja::context;

use super::model::RunnerPoolPlan;
use crate::clients::docker::keys::{refusal, too_new_key};
use crate::clients::docker::version::ApiVersion;
use crate::clients::docker::write::ContainerSpec;
use crate::load::Desired;
use crate::reconcilers::hold;
use crate::reconcilers::rollout::spec_digest;
use crate::render::{Exposure, RenderError, Templates, render_all};
use crate::secret::REDACTED;

/// Renders every planned runner's container spec of `pool_plan` with the token redacted and
/// the runner id not yet known. A pool whose template fails is held.
pub(crate) fn render(pool_plan: &mut RunnerPoolPlan, templates: &Templates, desired: &Desired) {
    let pool_name = &pool_plan.pool;
    let spoken = pool_plan.docker_api.as_deref().and_then(ApiVersion::parse);
    let rendered = render_all(
        &mut pool_plan.starts,
        |start| {
            let runner = (start.name.as_str(), "<new>", REDACTED);
            let text = runner_spec(templates, desired, pool_name, runner, Exposure::Shown)?;
            check_keys(&text, spoken).map_err(|message| RenderError {
                name: template_of(desired, pool_name),
                message,
            })?;
            Ok(text)
        },
        |start, text| start.container_spec = text,
    );
    if let Err(e) = rendered {
        hold(
            &mut pool_plan.status,
            &mut pool_plan.reason,
            "container spec",
            &e,
        );
        pool_plan.starts.clear();
        pool_plan.removals.clear();
    }
}

/// Sets each runner pool's `spec`: the digest of its container spec rendered with the token
/// redacted and the runner's name and id as fixed placeholders (`<name>`, `<id>`), so every
/// runner of one generation carries one digest and no secret shapes it. Runs where the
/// templates are loaded, before the pure planner compares it with the digests containers
/// carry; a pool whose spec does not render gets none (and rolls nothing out).
pub(crate) fn stamp_specs(templates: &Templates, desired: &mut Desired) {
    let digests: Vec<(String, Option<String>)> = desired
        .runner_pools
        .keys()
        .map(|name| {
            let runner = ("<name>", "<id>", REDACTED);
            let text = runner_spec(templates, desired, name, runner, Exposure::Shown);
            (name.clone(), text.ok().map(|text| spec_digest(&text)))
        })
        .collect();
    for (name, digest) in digests {
        if let Some(pool) = desired.runner_pools.get_mut(&name) {
            pool.spec = digest;
        }
    }
}

/// One runner's container spec (JSON) for `pool`, with the given runner id and real token, to
/// create the container with; an error if it is not a container spec devicepool can pass on
/// whole.
pub(crate) fn render_real_spec(
    templates: &Templates,
    desired: &Desired,
    pool_name: &str,
    name: &str,
    runner_id: &str,
    token: &str,
) -> Result<String, RenderError> {
    let runner = (name, runner_id, token);
    runner_spec(templates, desired, pool_name, runner, Exposure::Real)
}

/// A container spec for `runner` (name, id, token) of `pool_name`.
fn runner_spec(
    templates: &Templates,
    desired: &Desired,
    pool_name: &str,
    (name, runner_id, token): (&str, &str, &str),
    exposure: Exposure,
) -> Result<String, RenderError> {
    let missing = || RenderError {
        name: pool_name.to_string(),
        message: "no such runner pool".into(),
    };
    let pool = desired.runner_pools.get(pool_name).ok_or_else(missing)?;
    let gitlab_url = desired
        .sources
        .gitlab
        .as_ref()
        .map_or("", |g| g.url.as_str());
    let ctx = context! {
        pool => pool_name,
        name,
        image => &pool.image,
        gitlab_url,
        runner_token => token,
        runner_id,
        nano_cpus => (pool.cpus * 1e9).round() as i64,
        memory_bytes => memory_bytes(&pool.memory),
        network => &pool.network,
        docker_socket => &pool.docker_socket,
        tags => &pool.tags,
    };
    let text = templates.render(&pool.template, ctx, exposure)?;
    // Refused here, so `plan` already holds the pool, rather than a key silently lost.
    ContainerSpec::from_json(&text).map_err(|e| RenderError {
        name: pool.template.clone(),
        message: format!("not a usable container spec: {e}"),
    })?;
    Ok(text)
}

/// The name of `pool_name`'s template, for errors.
fn template_of(desired: &Desired, pool_name: &str) -> String {
    desired
        .runner_pools
        .get(pool_name)
        .map_or_else(|| pool_name.to_string(), |p| p.template.clone())
}

/// Refuses a rendered spec using a key newer than `spoken`, the version the daemon is spoken
/// to in (nothing to check against when it is not known, as in `render`'s preview).
pub(crate) fn check_keys(text: &str, spoken: Option<ApiVersion>) -> Result<(), String> {
    let (Some(spoken), Ok(body)) = (spoken, serde_json::from_str(text)) else {
        return Ok(());
    };
    match too_new_key(&body, spoken) {
        Some((key, since)) => Err(refusal(key, since, spoken)),
        None => Ok(()),
    }
}

/// `6g` → bytes (k, m, g are powers of 1024; no suffix means bytes).
fn memory_bytes(text: &str) -> i64 {
    let (digits, unit) = text.split_at(
        text.trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .len(),
    );
    let n: i64 = digits.parse().unwrap_or(0);
    match unit.to_ascii_lowercase().as_str() {
        "k" => n << 10,
        "m" => n << 20,
        "g" => n << 30,
        _ => n,
    }
}
