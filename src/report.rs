//! REPORT: plans and apply reports as human text or JSON, for stdout. Formatting only.

use std::fmt::Write;

use crate::apply::ApplyReport;
use crate::plan::{DevicePoolPlan, DeviceState, Plan, PoolStatus};

/// The plan as text.
pub fn plan_text(plan: &Plan) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for {} (read at {})",
        plan.config_path, plan.snapshot_at
    );
    for pool in &plan.device_pools {
        out.push('\n');
        pool_text(&mut out, pool);
    }
    let held = plan.held_pools().count();
    let _ = write!(out, "\nPlan: {} job(s) to start", plan.start_count());
    if held > 0 {
        let _ = write!(out, ", {held} pool(s) held");
    }
    out.push_str(".\n");
    out
}

fn pool_text(out: &mut String, pool: &DevicePoolPlan) {
    let _ = write!(out, "device pool {} ({}): ", pool.pool, pool.task_queue);
    match &pool.status {
        PoolStatus::Held { reason } => {
            let _ = writeln!(out, "HELD, nothing planned\n  {reason}");
            return;
        }
        PoolStatus::Disabled => {
            let _ = writeln!(out, "disabled");
            return;
        }
        PoolStatus::Planned => {
            let _ = writeln!(out, "start {}", pool.starts.len());
        }
    }
    let _ = writeln!(out, "  {}", pool.reason);
    if let Some(n) = &pool.numbers {
        let _ = writeln!(
            out,
            "  devices {}: active {}, quarantined {}, in flight {}, free {} | tasks pending {}, claimed {}; our jobs waiting {} | org initiated {}/{}",
            n.devices,
            n.active,
            n.quarantined,
            n.in_flight,
            n.free,
            n.pending,
            n.claimed,
            n.waiting,
            n.org_initiated,
            n.max_initiated
        );
    }
    let unknown: Vec<&str> = pool
        .devices
        .iter()
        .filter(|d| d.state == DeviceState::Unknown)
        .map(|d| d.udid.as_str())
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(out, "  not listed by LambdaTest: {}", unknown.join(", "));
    }
    for start in &pool.starts {
        let _ = writeln!(
            out,
            "  + start on {} (labels {})",
            start.udid,
            start.labels.join(",")
        );
    }
}

/// The apply report as text.
pub fn apply_text(report: &ApplyReport) -> String {
    let mut out = String::new();
    let launched = report.launches.len() - report.failed();
    let _ = writeln!(
        out,
        "Apply: launched {launched} of {} job(s)",
        report.launches.len()
    );
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
