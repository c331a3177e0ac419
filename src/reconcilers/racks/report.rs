//! A rack's text: its part of the plan (head line, reason, one line per machine with our last
//! deploy of it, its count in the plan's last line) and its deploys in the apply report.
//! Formatting only.

use std::fmt::Write;

use super::model::{DeployOutcome, MachineState, RackPlan};
use crate::reconcilers::record::{Action, ActionRecord, Outcome};
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
            MachineState::Deploy | MachineState::Outdated => "+ deploy",
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

/// Appends the deploys of an apply: the stuck jobs cancelled first (when any), then a count
/// of deploys and one line per deploy.
pub(crate) fn write_outcomes(out: &mut String, records: &[&ActionRecord]) {
    let (cancels, deploys): (Vec<&ActionRecord>, Vec<&ActionRecord>) =
        (records.iter()).partition(|r| r.action == Action::CancelDeploy);
    if !cancels.is_empty() {
        let done = cancels
            .iter()
            .filter(|r| r.outcome == Outcome::Done)
            .count();
        let _ = writeln!(out, "Stuck deploys: cancelled {done} of {}", cancels.len());
        for cancel in cancels {
            let job = cancel.job_id.as_deref().unwrap_or_default();
            let (word, why) = match (&cancel.error, &cancel.note) {
                (Some(error), _) => ("FAILED", error.message.as_str()),
                (None, note) => ("ok    ", note.as_deref().unwrap_or_default()),
            };
            let _ = writeln!(
                out,
                "  {word} {} {}: cancel job {job} ({why})",
                cancel.pool, cancel.target
            );
        }
    }
    if deploys.is_empty() {
        return;
    }
    let submitted = deploys
        .iter()
        .filter(|r| r.outcome == Outcome::Done)
        .count();
    let _ = writeln!(out, "Deploys: submitted {submitted} of {}", deploys.len());
    for deploy in deploys {
        match (&deploy.job_id, &deploy.error) {
            (Some(id), _) => {
                let _ = writeln!(out, "  ok     {} {} (job {id})", deploy.pool, deploy.target);
            }
            (None, error) => {
                let error = error
                    .as_ref()
                    .map_or("unknown error", |e| e.message.as_str());
                let _ = writeln!(out, "  FAILED {} {}: {error}", deploy.pool, deploy.target);
            }
        }
    }
}

/// The plan's last line, this kind's part: how many of each action, even when none.
pub(crate) fn tally(entries: &[RackPlan]) -> Vec<(usize, &'static str)> {
    let deploys = entries.iter().flat_map(|r| &r.deploys);
    let cancels: usize = deploys.map(|d| d.cancel_first.len()).sum();
    let mut tally = vec![(
        entries.iter().map(|r| r.deploys.len()).sum(),
        "machine(s) to deploy",
    )];
    if cancels > 0 {
        tally.push((cancels, "stuck deploy(s) to cancel"));
    }
    tally
}

/// The rules behind a rack's decision, one machine a line (`devicepool explain`).
pub(crate) fn explain(rack: &RackPlan) -> Vec<String> {
    vec![rack.reason.clone()]
}

/// One line per machine: its state and why.
pub(crate) fn explain_items(rack: &RackPlan) -> Vec<String> {
    let mut lines = Vec::new();
    for machine in &rack.machines {
        let state = word_of(&machine.state);
        lines.push(format!(
            "{}: {state} ({})",
            machine.hostname, machine.detail
        ));
    }
    lines
}
