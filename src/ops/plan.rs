//! `devicepool plan`: snapshot the fleet, compute the plan, render job files (secrets
//! redacted), print it and optionally save it. Only read-only clients are reachable from here.

use std::path::Path;

use anyhow::Context;

use super::prepare::Prepared;
use crate::cli::{Format, PlanArgs};
use crate::exit::Exit;
use crate::plan::{self, Origin, Plan};
use crate::{report, sources};

/// Reads the world now and plans from it.
pub(super) fn make_plan(prepared: &Prepared) -> Plan {
    let desired = &prepared.loaded.desired;
    let now = super::clock();
    let snapshot = sources::snapshot(
        desired,
        &prepared.secrets.read,
        &prepared.secrets.redactor,
        now,
    );
    let origin = Origin {
        config_path: prepared.loaded.path.display().to_string(),
        config_hash: prepared.loaded.hash.clone(),
    };
    let mut plan = plan::plan(desired, &snapshot, &origin);
    prepared.templates.render_plan(desired, &mut plan, None);
    prepared.templates.render_racks(desired, &mut plan);
    prepared.templates.render_runner_pools(desired, &mut plan);
    for (name, reason) in plan.held() {
        tracing::warn!(name = %name, "held: {reason}");
    }
    plan
}

/// The exit code a plan calls for.
pub(super) fn plan_exit(plan: &Plan, detailed: bool) -> Exit {
    let mut exit = Exit::Clean;
    if detailed && plan.start_count() > 0 {
        exit = Exit::Changes;
    }
    if !plan.held().is_empty() {
        exit = exit.worst(Exit::Held);
    }
    exit
}

pub(super) fn run(args: &PlanArgs, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Exit> {
    let prepared = super::prepare::prepare(&args.config.config, env, crate::load::Purpose::Read)?;
    let plan = make_plan(&prepared);
    if let Some(out) = &args.out {
        save(&plan, out)?;
    }
    crate::report::emit(&match args.format {
        Format::Text => report::plan_text(&plan),
        Format::Json => report::json(&plan),
    });
    Ok(plan_exit(&plan, args.detailed_exitcode))
}

/// Writes the plan as JSON (atomically: temp file, then rename).
fn save(plan: &Plan, out: &Path) -> anyhow::Result<()> {
    let dir = out
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing {}", out.display()))?;
    std::io::Write::write_all(&mut file, report::json(plan).as_bytes())?;
    file.persist(out)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
