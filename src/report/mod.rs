//! REPORT: plans and apply reports as human text or JSON, for stdout. Formatting only.

pub mod markdown;
pub mod metrics;

use std::fmt::Write;

use crate::apply::ApplyReport;
use crate::plan::Plan;
use crate::reconcilers::record::{ActionRecord, ErrorClass, Kind, Outcome};
use crate::reconcilers::{device_pools, racks, runner_pools};

/// The plan as text.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for {} (read at {})",
        plan.config_path, plan.snapshot_at
    );
    for entry in plan.entries() {
        out.push('\n');
        entry.write_text(&mut out);
    }
    let held = plan.held().len();
    let starts: usize = plan.device_pools.iter().map(|p| p.starts.len()).sum();
    let deploys: usize = plan.racks.iter().map(|r| r.deploys.len()).sum();
    let runner_starts: usize = plan.runner_pools.iter().map(|p| p.starts.len()).sum();
    let removals: usize = plan.runner_pools.iter().map(|p| p.removals.len()).sum();
    let _ = write!(
        out,
        "\nPlan: {starts} job(s) to start, {deploys} machine(s) to deploy, {runner_starts} runner(s) to start, {removals} to remove"
    );
    if held > 0 {
        let _ = write!(out, ", {held} held");
    }
    out.push_str(".\n");
    out
}

/// The apply report as text: each kind's actions under its own heading, then what was
/// skipped and what was held.
pub fn apply_text(report: &ApplyReport) -> String {
    let mut out = String::new();
    let tried = |kind: Kind| -> Vec<&ActionRecord> {
        let of_kind = report.actions.iter().filter(|a| a.kind == kind);
        of_kind.filter(|a| a.outcome != Outcome::Skipped).collect()
    };
    let (launches, deploys, runners) = (
        tried(Kind::DevicePool),
        tried(Kind::Rack),
        tried(Kind::RunnerPool),
    );
    if launches.is_empty() && deploys.is_empty() && runners.is_empty() {
        out.push_str("Apply: nothing carried out\n");
    }
    device_pools::report::write_outcomes(&mut out, &launches);
    racks::report::write_outcomes(&mut out, &deploys);
    runner_pools::report::write_outcomes(&mut out, &runners);
    // Drifted actions first: they were decided before anything ran.
    let mut skipped: Vec<&ActionRecord> = report
        .actions
        .iter()
        .filter(|a| a.outcome == Outcome::Skipped)
        .collect();
    skipped.sort_by_key(|a| a.error.as_ref().map(|e| e.class) != Some(ErrorClass::Drifted));
    for skip in skipped {
        let reason = skip.error.as_ref().map_or("", |e| e.message.as_str());
        let _ = writeln!(out, "  skipped {} {}: {reason}", skip.pool, skip.target);
    }
    for held in &report.held {
        let _ = writeln!(out, "  held   {}: {}", held.pool, held.reason);
    }
    out
}

/// Any serialisable report as pretty JSON.
pub fn json<T: serde::Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("reports serialise");
    text.push('\n');
    text
}

/// Writes to stdout. A closed pipe (`devicepool plan | head`) ends the output quietly
/// instead of panicking.
pub fn emit(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        tracing::error!("cannot write to stdout: {e}");
    }
}
