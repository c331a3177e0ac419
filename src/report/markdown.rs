//! The plan as GitHub-flavoured Markdown, for a job summary (`plan --format markdown`, `show
//! --format markdown`): a table per kind (name, status, numbers, actions), then the held
//! entries with their reasons. Formatting only, from the plan's data, whose job files and
//! messages are already redacted; every cell is escaped so that no text from an API can break
//! the table or pass for HTML.

use std::fmt::Write;

use crate::plan::{Plan, PoolStatus};
use crate::reconcilers::record::Kind;
use crate::reconcilers::rollout::RolloutState;

/// Actions named in a cell before the rest are only counted.
const SHOWN_ACTIONS: usize = 10;

/// The plan as Markdown.
pub fn plan_markdown(plan: &Plan) -> String {
    let Some(plan) = super::escape::escaped_plan(plan) else {
        return format!("## devicepool plan\n\n{}\n", super::UNSHOWABLE);
    };
    let plan = &*plan;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## devicepool plan\n\nPlan for `{}` (read at {}){}.\n",
        plan.config_path.replace('`', "'"),
        plan.snapshot_at,
        if plan.replayed {
            ", from a recorded snapshot"
        } else {
            ""
        }
    );
    if let Some(at) = plan.preview_at {
        let _ = writeln!(out, "{}.\n", super::preview_note(at));
    }
    let tally: Vec<String> = crate::reconcilers::tally_every_kind(plan)
        .into_iter()
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
    let held = plan.held();
    let _ = writeln!(out, "**{}, {} held.**", tally.join(", "), held.len());
    // One table per kind, in plan order: the entries of a kind come together.
    let mut kinds: Vec<(Kind, Vec<[String; 4]>)> = Vec::new();
    for entry in plan.entries() {
        let (numbers, actions) = entry.summary_cells();
        let cells = row(
            entry.name(),
            entry.status(),
            entry.reason(),
            numbers,
            actions,
        );
        match kinds.last_mut() {
            Some((kind, rows)) if *kind == entry.kind() => rows.push(cells),
            _ => kinds.push((entry.kind(), vec![cells])),
        }
    }
    for (kind, rows) in kinds {
        table(&mut out, kind.title(), kind.noun(), rows);
    }
    let rolling: Vec<String> = plan
        .entries()
        .filter_map(|e| Some((e.name(), e.rollout()?)))
        .filter(|(_, r)| r.state != RolloutState::Converged)
        .map(|(name, r)| format!("- **{}**: {}", cell(name), cell(&r.line())))
        .collect();
    if !rolling.is_empty() {
        let _ = writeln!(out, "\n### Roll-outs\n\n{}", rolling.join("\n"));
    }
    if !held.is_empty() {
        out.push_str("\n### Held\n\n");
        for (name, reason) in held {
            let _ = writeln!(out, "- **{}**: {}", cell(&name), cell(&reason));
        }
    }
    out
}

/// One table row's cells: name, status, numbers, actions.
fn row(
    name: &str,
    status: &PoolStatus,
    reason: &str,
    numbers: Option<String>,
    actions: Vec<String>,
) -> [String; 4] {
    let status = match status {
        PoolStatus::Planned => cell(reason),
        PoolStatus::Held { .. } => "**held**".to_string(),
        PoolStatus::Disabled => "disabled".to_string(),
    };
    let mut shown: Vec<String> = actions
        .iter()
        .take(SHOWN_ACTIONS)
        .map(|a| cell(a))
        .collect();
    if actions.len() > SHOWN_ACTIONS {
        shown.push(format!("… {} more", actions.len() - SHOWN_ACTIONS));
    }
    [
        cell(name),
        status,
        numbers.map_or_else(String::new, |n| cell(&n)),
        shown.join("<br>"),
    ]
}

/// A table of one kind under its heading; nothing when the plan has none of that kind.
fn table(out: &mut String, heading: &str, name: &str, rows: Vec<[String; 4]>) {
    if rows.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n### {heading}\n\n| {name} | status | numbers | actions |\n|---|---|---|---|"
    );
    for [name, status, numbers, actions] in rows {
        let _ = writeln!(out, "| {name} | {status} | {numbers} | {actions} |");
    }
}

/// Text made safe for a table cell: Markdown and HTML characters escaped, one line.
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[path = "markdown_tests.rs"]
mod tests;
