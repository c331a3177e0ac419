//! A rack's deploy jobs: one Testflinger job per planned deploy, from the rack's template, then
//! checked so the template can shape the job but never redirect it (`deploy_job.rs`). A
//! template that fails holds the rack. Deploy jobs are given no secrets. Sends nothing.

use minijinja::{context, value::Value};

use super::config::Rack;
use super::deploy_job::check_deploy_job;
use super::model::RackPlan;
use crate::load::Desired;
use crate::reconcilers::Secrets;
use crate::reconcilers::hold;
use crate::render::{Exposure, RenderError, Templates, render_all};

/// Renders the deploy job of every planned deploy of `rack_plan`. A template may still
/// include a secret: `Secrets::Redacted` scrubs every known one.
pub(crate) fn render(
    rack_plan: &mut RackPlan,
    templates: &Templates,
    desired: &Desired,
    secrets: Secrets<'_>,
) {
    let Some(rack) = desired.racks.get(&rack_plan.rack) else {
        return;
    };
    let exposure = match secrets {
        Secrets::Real(_) => Exposure::Real,
        Secrets::Redacted => Exposure::Shown,
    };
    let rack_name = &rack_plan.rack;
    let rendered = render_all(
        &mut rack_plan.deploys,
        |deploy| {
            let ctx = job_context(rack_name, rack, &deploy.agent, &deploy.queue, &deploy.tags);
            let text = templates.render(&rack.template, ctx, exposure)?;
            check_deploy_job(&text, &deploy.queue, &deploy.tags).map_err(|message| {
                RenderError {
                    name: rack.template.clone(),
                    message,
                }
            })?;
            Ok(text)
        },
        |deploy, text| deploy.job_file = text,
    );
    if let Err(e) = rendered {
        hold(&mut rack_plan.status, &mut rack_plan.reason, "job file", &e);
        rack_plan.deploys.clear();
    }
}

/// What a deploy job's template is given: the rack's job settings and the per-machine values
/// (`agent`, `job_queue`, `tags`). No secret is among them.
pub(crate) fn job_context(
    rack_name: &str,
    rack: &Rack,
    agent: &str,
    queue: &str,
    tags: &[String],
) -> Value {
    context! {
        rack => rack_name,
        agent => agent,
        job_queue => queue,
        tags => tags.to_vec(),
        provision_data => Value::from(minijinja::value::Serde(&rack.provision_data)),
        reserve_data => Value::from(minijinja::value::Serde(&rack.reserve_data)),
        test_data => Value::from(minijinja::value::Serde(&rack.test_data)),
        global_timeout => rack.global_timeout.map(|d| d.as_secs()),
        output_timeout => rack.output_timeout.map(|d| d.as_secs()),
    }
}
