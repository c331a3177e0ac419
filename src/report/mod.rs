//! REPORT: plans and apply reports as human text or JSON, for stdout. Formatting only.

use std::fmt::Write;

use crate::apply::ApplyReport;
use crate::plan::Plan;

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

/// The apply report as text.
pub fn apply_text(report: &ApplyReport) -> String {
    let mut out = String::new();
    let launched = report.launches.iter().filter(|l| l.launched).count();
    if !report.launches.is_empty() {
        let _ = writeln!(
            out,
            "Apply: launched {launched} of {} job(s)",
            report.launches.len()
        );
    } else if report.deploys.is_empty() && report.runners.is_empty() {
        out.push_str("Apply: nothing carried out\n");
    }
    for launch in &report.launches {
        match &launch.error {
            None => {
                let job = launch
                    .job_id
                    .as_deref()
                    .map(|id| format!(" (job {id})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  ok     {} {}{job} in {} ms",
                    launch.pool, launch.udid, launch.duration_ms
                );
            }
            Some(error) => {
                let _ = writeln!(out, "  FAILED {} {}: {error}", launch.pool, launch.udid);
                for line in launch.output.lines().take(10) {
                    let _ = writeln!(out, "         | {line}");
                }
            }
        }
    }
    if !report.deploys.is_empty() {
        let submitted = report.deploys.iter().filter(|d| d.submitted).count();
        let _ = writeln!(
            out,
            "Deploys: submitted {submitted} of {}",
            report.deploys.len()
        );
    }
    for deploy in &report.deploys {
        match (&deploy.job_id, &deploy.error) {
            (Some(id), _) => {
                let _ = writeln!(out, "  ok     {} {} (job {id})", deploy.rack, deploy.agent);
            }
            (None, error) => {
                let error = error.as_deref().unwrap_or("unknown error");
                let _ = writeln!(out, "  FAILED {} {}: {error}", deploy.rack, deploy.agent);
            }
        }
    }
    if !report.runners.is_empty() {
        let done = report.runners.iter().filter(|r| r.done).count();
        let _ = writeln!(
            out,
            "Runners: {done} of {} action(s) done",
            report.runners.len()
        );
    }
    for record in &report.runners {
        let what = match (record.action.as_str(), record.runner_id) {
            ("start", Some(id)) => format!("started runner {id} {}", record.name),
            ("start", None) => format!("start {}", record.name),
            (_, Some(id)) => format!("remove runner {id}"),
            (_, None) => format!(
                "remove orphan container {}",
                record.container_id.as_deref().unwrap_or("?")
            ),
        };
        let status = match (&record.error, record.done) {
            (Some(_), _) => "FAILED",
            (None, true) => "ok    ",
            (None, false) => "kept  ",
        };
        let _ = write!(out, "  {status} {} {what}", record.pool);
        if let Some(e) = &record.error {
            let _ = write!(out, ": {e}");
        }
        if let Some(note) = &record.note {
            let _ = write!(out, " ({note})");
        }
        out.push('\n');
    }
    for skip in &report.skipped {
        let _ = writeln!(
            out,
            "  skipped {} {}: {}",
            skip.pool, skip.udid, skip.reason
        );
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
