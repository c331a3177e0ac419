//! A device pool's part of the text plan: head line, reason, numbers, devices LambdaTest does
//! not list, and one line per job to start. Formatting only.

use std::fmt::Write;

use super::model::{DevicePoolPlan, DeviceState};
use crate::reconcilers::write_status_line;

/// Appends the entry as text: head line, reason, numbers, then one line per decision.
pub(crate) fn write_text(out: &mut String, pool: &DevicePoolPlan) {
    let head = format!("device pool {} ({})", pool.pool, pool.task_queue);
    if !write_status_line(
        out,
        &head,
        &pool.status,
        &format!("start {}", pool.starts.len()),
    ) {
        return;
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
