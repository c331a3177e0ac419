//! A device pool's job files: one HyperExecute YAML per planned start, from the pool's
//! template. A template that fails holds the pool and drops its starts. Sends nothing.

use minijinja::{context, value::Value};

use super::model::DevicePoolPlan;
use crate::load::Desired;
use crate::reconcilers::Secrets;
use crate::reconcilers::hold;
use crate::render::{Exposure, Templates, render_all};
use crate::secret::{REDACTED, Secret};

/// Renders the job file of every planned start of `pool_plan`. With `Secrets::Real` the
/// file carries the pool's Taskcluster token; otherwise the token and every other known
/// secret value are `<redacted>`.
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
    let pool_name = &pool_plan.pool;
    let rendered = render_all(
        &mut pool_plan.starts,
        |start| {
            let ctx = context! {
                pool => pool_name,
                task_queue => &pool.task_queue,
                provisioner_id,
                worker_type,
                udid => &start.udid,
                labels => &start.labels,
                taskcluster => context! { root_url, client_id => &pool.client_id, access_token => token },
                vars => Value::from(minijinja::value::Serde(&pool.vars)),
            };
            templates.render(&pool.template, ctx, exposure)
        },
        |start, text| start.job_file = text,
    );
    if let Err(e) = rendered {
        hold(&mut pool_plan.status, &mut pool_plan.reason, "job file", &e);
        pool_plan.starts.clear();
        pool_plan.mark_starts();
    }
}
