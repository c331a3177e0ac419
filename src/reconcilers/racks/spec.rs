//! The spec of a rack's deploy jobs: the job its template renders with every per-machine value
//! (agent, queue, tags) a fixed placeholder and every known secret redacted, hashed, so every
//! machine deployed from one generation of the rack carries one `spec:<digest>` tag. Renders
//! only: reads no API, no clock; stamped on the desired state before planning, so the pure
//! planner compares it with the spec each machine's last deploy carried.

use super::config::Rack;
use super::render::job_context;
use crate::load::Desired;
use crate::reconcilers::rollout::spec_digest;
use crate::render::{Exposure, RenderError, Templates};

/// What the template is given instead of a machine's agent name, queue and tags.
const AGENT_PLACEHOLDER: &str = "<agent>";
const QUEUE_PLACEHOLDER: &str = "<job_queue>";
const TAG_PLACEHOLDER: &str = "<tag>";

/// Stamps every enabled rack of `desired` with the spec digest of its deploy job. A rack whose
/// template does not render with the placeholders gets none: its deploys carry no spec tag
/// and it rolls nothing out (its real render fails the same way and holds it).
pub fn stamp_specs(desired: &mut Desired, templates: &Templates) {
    for (name, rack) in desired.racks.iter_mut().filter(|(_, r)| !r.disabled) {
        rack.spec = match render_spec(name, rack, templates) {
            Ok(spec) => Some(spec),
            Err(e) => {
                tracing::warn!(rack = %name, "no spec digest, no roll-out: {e}");
                None
            }
        };
    }
}

/// The job `rack` renders for any of its machines, redacted, as a spec digest.
fn render_spec(name: &str, rack: &Rack, templates: &Templates) -> Result<String, RenderError> {
    let tags = [TAG_PLACEHOLDER.to_string()];
    let ctx = job_context(name, rack, AGENT_PLACEHOLDER, QUEUE_PLACEHOLDER, &tags);
    let text = templates.render(&rack.template, ctx, Exposure::Shown)?;
    Ok(spec_digest(&text))
}

#[cfg(test)]
#[path = "spec_tests.rs"]
mod tests;
