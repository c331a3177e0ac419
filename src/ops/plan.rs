//! `devicepool plan`: snapshot the fleet, compute the plan, render job files (secrets
//! redacted), print it and optionally save it. Only read-only clients are reachable from here.

use std::path::Path;

use anyhow::Context;

use super::prepare::Prepared;
use crate::cli::{Format, PlanArgs};
use crate::exit::Exit;
use crate::plan::{self, Origin, Plan};
use crate::report;
use crate::snapshot::Snapshot;
use crate::snapshot::read;
use crate::snapshot::recording::Recording;

/// Reads the world now and plans from it.
pub(super) fn make_plan(prepared: &Prepared) -> Plan {
    plan_from(prepared, &read_snapshot(prepared))
}

/// Reads the world now (read-only clients only).
pub(super) fn read_snapshot(prepared: &Prepared) -> Snapshot {
    read::snapshot(
        &prepared.loaded.desired,
        &prepared.secrets.read,
        &prepared.secrets.redactor,
        super::clock(),
    )
}

/// Plans the prepared desired state from `snapshot` and renders its job files.
pub(super) fn plan_from(prepared: &Prepared, snapshot: &Snapshot) -> Plan {
    let desired = &prepared.loaded.desired;
    let origin = Origin {
        config_path: prepared.loaded.path.display().to_string(),
        config_hash: prepared.loaded.hash.clone(),
    };
    let mut plan = plan::plan(desired, snapshot, &origin);
    super::render_redacted(&prepared.templates, desired, &mut plan);
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
    if args.from_snapshot.is_some() || args.compare.is_some() {
        return super::replay::run(args, env);
    }
    let prepared = super::prepare::prepare(&args.config.config, env, crate::load::Purpose::Read)?;
    if let Some(out) = &args.out {
        check_writable(out)?;
    }
    let snapshot = read_snapshot(&prepared);
    if let Some(record) = &args.record {
        Recording::of(&snapshot, &prepared.loaded.desired).write(record)?;
    }
    let plan = plan_from(&prepared, &snapshot);
    if let Some(out) = &args.out {
        save(&plan, out)?;
    }
    crate::report::emit(&match args.format {
        Format::Text => report::plan_text(&plan),
        Format::Json => report::json(&plan),
    });
    Ok(plan_exit(&plan, args.detailed_exitcode))
}

/// The directory `out` is written in (the temp file goes there too).
fn resolve_dir(out: &Path) -> &Path {
    out.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Fails, naming `out`, unless the plan can be saved there: checked before any request, so
/// a typo in `--out` does not cost a whole snapshot. Creates and removes a temp file in the
/// directory, as [`save`] will.
fn check_writable(out: &Path) -> anyhow::Result<()> {
    let cannot = || format!("cannot write the plan to {}", out.display());
    let dir = resolve_dir(out);
    if out.is_dir() {
        anyhow::bail!("{}: it is a directory", cannot());
    }
    if !dir.is_dir() {
        anyhow::bail!("{}: no directory {}", cannot(), dir.display());
    }
    tempfile::NamedTempFile::new_in(dir)
        .and_then(|probe| probe.close())
        .with_context(cannot)
}

/// Writes the plan as JSON (atomically: temp file, then rename).
fn save(plan: &Plan, out: &Path) -> anyhow::Result<()> {
    let mut file = tempfile::NamedTempFile::new_in(resolve_dir(out))
        .with_context(|| format!("writing {}", out.display()))?;
    std::io::Write::write_all(&mut file, report::json(plan).as_bytes())?;
    file.persist(out)
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
