//! A device pool's job files: one HyperExecute YAML per planned start, from the pool's
//! template, and the spec digest every start's labels carry (the same file rendered with
//! secrets redacted and placeholders for the device and its ownership MAC). A template that fails holds the pool and drops
//! its starts. Sends nothing.

use minijinja::{context, value::Value};

use super::conventions::{job_labels, set_spec_label};
use super::generations::report_rollout;
use super::model::DevicePoolPlan;
use crate::load::Desired;
use crate::reconcilers::Secrets;
use crate::reconcilers::hold;
use crate::reconcilers::ownership::{MAC_PREFIX, Ownership};
use crate::reconcilers::rollout::spec_digest;
use crate::render::{Exposure, Templates, render_all};
use crate::secret::{REDACTED, Secret};

/// What stands for the device in the file a spec digest is taken of: one generation of a
/// pool has one digest, whichever device its jobs run on.
const DEVICE_PLACEHOLDER: &str = "<udid>";
/// What stands for the ownership MAC there (it depends on the device and the key).
const MAC_PLACEHOLDER: &str = "<mac>";

/// Renders the job file of every planned start of `pool_plan`. With `Secrets::Real` the
/// file carries the pool's Taskcluster token; otherwise the token and every other known
/// secret value are `<redacted>`. Every start's labels end in `spec:<digest>`, and a pool
/// planned from a reading gets its roll-out report.
pub(crate) fn render(
    pool_plan: &mut DevicePoolPlan,
    templates: &Templates,
    desired: &Desired,
    secrets: Secrets<'_>,
) {
    let Some(pool) = desired.device_pools.get(&pool_plan.pool) else {
        return;
    };
    let root_url = desired
        .sources
        .taskcluster
        .as_ref()
        .map_or("", |tc| tc.root_url.as_str());
    let (exposure, token) = match secrets {
        Secrets::Real(tokens) => (
            Exposure::Real,
            tokens.get(&pool_plan.pool).map_or(REDACTED, Secret::expose),
        ),
        Secrets::Redacted => (Exposure::Shown, REDACTED),
    };
    let (provisioner_id, worker_type) = pool.task_queue.split_once('/').unwrap_or_default();
    let pool_name = pool_plan.pool.clone();
    let file = |udid: &str, labels: &Vec<String>, token: &str, exposure| {
        let ctx = context! {
            pool => &pool_name,
            task_queue => &pool.task_queue,
            provisioner_id,
            worker_type,
            udid,
            labels,
            taskcluster => context! { root_url, client_id => &pool.client_id, access_token => token },
            vars => Value::from(minijinja::value::Serde(&pool.vars)),
        };
        templates.render(&pool.template, ctx, exposure)
    };
    let program = (desired.sources.lambdatest.as_ref()).map_or("tcdp", |lt| &lt.program_label);
    let owner = Ownership::of(desired);
    // The ownership MAC is the key's, per device: a placeholder too, so a new key is no new
    // spec and no value derived from the key enters the digest.
    let placeholder: Vec<String> = job_labels(program, &owner, &pool_name, DEVICE_PLACEHOLDER)
        .into_iter()
        .map(|label| match label.starts_with(MAC_PREFIX) {
            true => format!("{MAC_PREFIX}{MAC_PLACEHOLDER}"),
            false => label,
        })
        .collect();
    let spec = file(DEVICE_PLACEHOLDER, &placeholder, REDACTED, Exposure::Shown)
        .map(|text| spec_digest(&text));
    let rendered = spec.and_then(|spec| {
        for start in &mut pool_plan.starts {
            set_spec_label(&mut start.labels, &spec);
        }
        render_all(
            &mut pool_plan.starts,
            |start| file(&start.udid, &start.labels, token, exposure),
            |start, text| start.job_file = text,
        )?;
        Ok(spec)
    });
    match rendered {
        // Only a pool planned from a reading knows its jobs (not a preview, not a hold).
        Ok(spec) if pool_plan.numbers.is_some() => {
            pool_plan.rollout = Some(report_rollout(&spec, &pool_plan.generations));
        }
        Ok(_) => {}
        Err(e) => {
            hold(&mut pool_plan.status, &mut pool_plan.reason, "job file", &e);
            pool_plan.starts.clear();
            pool_plan.mark_starts();
            pool_plan.rollout = None;
        }
    }
}
