//! `devicepool plan`: snapshot the fleet, compute the plan, render job files (secrets
//! redacted), print it and optionally save it. Only read-only clients are reachable from here.

use super::metrics_file::Observed;
use super::output_file::{check_writable, write_atomically};
use super::prepare::Prepared;
use crate::cli::PlanArgs;
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
        super::clock::real_now(),
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
    plan.preview_at = super::clock::preview_at();
    super::render_redacted(&prepared.templates, desired, &mut plan);
    plan.explain_entries();
    for (name, reason) in plan.held() {
        tracing::warn!(name = %name, "held: {reason}");
    }
    plan
}

/// The exit code a plan calls for.
pub(super) fn plan_exit(plan: &Plan, detailed: bool) -> Exit {
    let mut exit = Exit::Clean;
    if detailed && plan.action_count() > 0 {
        exit = Exit::Changes;
    }
    if !plan.held().is_empty() {
        exit = exit.worst(Exit::Held);
    }
    exit
}

/// Plans; the plan is also kept in `observed` as soon as it is made, for `--metrics-file`.
pub(super) fn run(
    args: &PlanArgs,
    env: &dyn Fn(&str) -> Option<String>,
    observed: &mut Observed,
) -> anyhow::Result<Exit> {
    if args.from_snapshot.is_some() || args.compare.is_some() {
        return super::replay::run(args, env);
    }
    let partition = args.partition.partition();
    let purpose = crate::load::Purpose::Read;
    let prepared = super::prepare::prepare(&args.config.config, env, purpose, &partition)?;
    observed.fleet = Some(prepared.loaded.desired.settings.fleet.clone());
    if let Some(out) = &args.out {
        check_writable(out, "the plan")?;
    }
    let snapshot = read_snapshot(&prepared);
    let plan = plan_from(&prepared, &snapshot);
    observed.plan = Some(plan.clone());
    if let Some(record) = &args.record {
        Recording::of(&snapshot, &prepared.loaded.desired).write(record)?;
    }
    if let Some(out) = &args.out {
        write_atomically(out, &report::json(&plan), None)?;
    }
    crate::report::emit(&super::show::plan_in(args.format, &plan));
    Ok(plan_exit(&plan, args.detailed_exitcode))
}
