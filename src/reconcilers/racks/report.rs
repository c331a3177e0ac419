//! A rack's part of the text plan: head line, reason, and one line per machine with our last
//! deploy of it. Formatting only.

use std::fmt::Write;

use super::model::{DeployOutcome, MachineState, RackPlan};
use crate::reconcilers::{word_of, write_status_line};

/// Appends the entry as text: head line, reason, numbers, then one line per decision.
pub(crate) fn write_text(out: &mut String, rack: &RackPlan) {
    let head = format!("rack {}", rack.rack);
    if !write_status_line(
        out,
        &head,
        &rack.status,
        &format!("deploy {}", rack.deploys.len()),
    ) {
        return;
    }
    let _ = writeln!(out, "  {}", rack.reason);
    for machine in &rack.machines {
        let mark = match machine.state {
            MachineState::Deploy => "+ deploy",
            _ => "  skip  ",
        };
        let state = word_of(&machine.state);
        let _ = write!(
            out,
            "  {mark} {} ({state}: {})",
            machine.hostname, machine.detail
        );
        if let Some(last) = &machine.last_deploy {
            let outcome = match last.outcome {
                DeployOutcome::Ok => "ok".to_string(),
                DeployOutcome::Failed => format!("FAILED, {}", last.note),
                DeployOutcome::Unknown => format!("unknown ({})", last.note),
            };
            let _ = write!(out, "; last deploy {}: {outcome}", last.job_id);
        }
        out.push('\n');
    }
}
