//! REPORT: plans and apply reports as human text or JSON, for stdout. Formatting only.

mod escape;
mod exposition;
pub mod html;
mod item_states;
pub mod markdown;
pub mod metrics;
mod state_class;

pub(crate) use escape::escape_text;

use std::fmt::Write;

use crate::apply::ApplyReport;
use crate::plan::Plan;
use crate::reconcilers::record::{ActionRecord, ErrorClass, Outcome};
use crate::reconcilers::rollout::RolloutState;

/// Said instead of a plan whose strings cannot be escaped for a terminal.
const UNSHOWABLE: &str = "This plan cannot be shown as text safely (its strings could not be \
     escaped for the terminal); see it with --format json.";

/// The plan as text.
pub fn plan_text(plan: &Plan) -> String {
    let Some(plan) = escape::escaped_plan(plan) else {
        // Fail closed: a plan whose text cannot be escaped is not printed raw.
        return format!("{UNSHOWABLE}\n");
    };
    let plan = &*plan;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for {} (read at {})",
        plan.config_path, plan.snapshot_at
    );
    if let Some(at) = plan.preview_at {
        let _ = writeln!(out, "{}", preview_note(at));
    }
    for entry in plan.entries() {
        out.push('\n');
        entry.write_text(&mut out);
        if let Some(rollout) = entry
            .rollout()
            .filter(|r| r.state != RolloutState::Converged)
        {
            let _ = writeln!(out, "  Roll-out: {}", rollout.line());
            if !rollout.outdated.is_empty() {
                let _ = writeln!(out, "    outdated: {}", rollout.outdated.join(", "));
            }
        }
    }
    crate::reconcilers::device_pools::report::write_groups(&mut out, &plan.device_groups);
    if !plan.look_alikes.is_empty() {
        out.push_str("\nLook-alikes (not proven this fleet's; left alone):\n");
        for l in &plan.look_alikes {
            let _ = writeln!(out, "  {} {} ({}): {}", l.object, l.name, l.pool, l.reason);
        }
    }
    let held = plan.held().len();
    let tally: Vec<String> = crate::reconcilers::tally_every_kind(plan)
        .into_iter()
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
    let _ = write!(out, "\nPlan: {}", tally.join(", "));
    if held > 0 {
        let _ = write!(out, ", {held} held");
    }
    out.push_str(".\n");
    out
}

/// The line saying a run previews another time's schedules (`DEVICEPOOL_NOW`).
pub fn preview_note(at: jiff::Timestamp) -> String {
    format!(
        "Preview: schedules read at {at} (DEVICEPOOL_NOW); cool-downs, grace periods and job \
         windows at the real time; apply never acts on a preview"
    )
}

/// The apply report as text: each kind's actions under its own heading, then what was
/// skipped and what was held.
pub fn apply_text(report: &ApplyReport) -> String {
    let report = &escape::escaped_report(report);
    let mut out = String::new();
    let tried = report
        .actions
        .iter()
        .filter(|a| a.outcome != Outcome::Skipped);
    if tried.count() == 0 {
        write_nothing_carried_out(&mut out, &report.plan);
    }
    crate::reconcilers::write_every_outcome(&mut out, &report.actions);
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
    match &report.verified {
        None => {}
        Some(broken) if broken.is_empty() => {
            out.push_str("Verify: the fleet read back keeps every promise\n");
        }
        Some(broken) => {
            let _ = writeln!(out, "VERIFY: {} broken promise(s)", broken.len());
            for b in broken {
                let _ = writeln!(out, "  BROKEN {}: {}", b.pool, b.problem);
            }
        }
    }
    for note in &report.verify_notes {
        let _ = writeln!(out, "  note   {}: {}", note.pool, note.note);
    }
    out
}

/// Says that an apply carried out nothing and why: each planned entry's reason for having
/// nothing to do (what bound it: no demand, `max_initiated`, a cap). Held entries are listed
/// after, with theirs.
fn write_nothing_carried_out(out: &mut String, plan: &Plan) {
    let idle: Vec<_> = plan
        .entries()
        .filter(|e| *e.status() == crate::plan::PoolStatus::Planned && e.action_count() == 0)
        .collect();
    if idle.is_empty() {
        out.push_str("Apply: nothing carried out\n");
        return;
    }
    out.push_str("Apply: nothing carried out, because:\n");
    for entry in idle {
        let _ = writeln!(out, "  {}: {}", entry.describe(), entry.reason());
    }
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
