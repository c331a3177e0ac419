//! The plan as GitHub-flavoured Markdown, for a job summary (`plan --format markdown`, `show
//! --format markdown`): a table per kind (name, status, numbers, actions), then the held
//! entries with their reasons. Formatting only, from the plan's data, whose job files and
//! messages are already redacted; every cell is escaped so that no text from an API can break
//! the table or pass for HTML.

use std::fmt::Write;

use crate::plan::{MachineState, Plan, PoolStatus, word_of};

/// Actions named in a cell before the rest are only counted.
const SHOWN_ACTIONS: usize = 10;

/// The plan as Markdown.
pub fn plan_markdown(plan: &Plan) -> String {
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
    let starts: usize = plan.device_pools.iter().map(|p| p.starts.len()).sum();
    let deploys: usize = plan.racks.iter().map(|r| r.deploys.len()).sum();
    let runner_starts: usize = plan.runner_pools.iter().map(|p| p.starts.len()).sum();
    let removals: usize = plan.runner_pools.iter().map(|p| p.removals.len()).sum();
    let held = plan.held();
    let _ = writeln!(
        out,
        "**{starts} job(s) to start, {deploys} machine(s) to deploy, {runner_starts} runner(s) \
         to start, {removals} to remove, {} held.**",
        held.len()
    );
    let pools = plan.device_pools.iter().map(|p| {
        let numbers = p.numbers.map(|n| {
            format!(
                "devices {}, free {}, in flight {}; tasks pending {}, demand {}",
                n.devices, n.free, n.in_flight, n.pending, n.demand
            )
        });
        let actions = p.starts.iter().map(|s| format!("start on {}", s.udid));
        row(&p.pool, &p.status, &p.reason, numbers, actions.collect())
    });
    table(&mut out, "Device pools", "pool", pools.collect());
    let racks = plan.racks.iter().map(|r| {
        let mut states: Vec<(MachineState, usize)> = Vec::new();
        for machine in &r.machines {
            match states.iter_mut().find(|(s, _)| *s == machine.state) {
                Some((_, n)) => *n += 1,
                None => states.push((machine.state, 1)),
            }
        }
        let shown: Vec<String> = states
            .iter()
            .map(|(state, n)| format!("{} {n}", word_of(state).replace('_', " ")))
            .collect();
        let numbers = (r.status == PoolStatus::Planned)
            .then(|| format!("machines {}: {}", r.machines.len(), shown.join(", ")));
        let actions = r.deploys.iter().map(|d| format!("deploy {}", d.agent));
        row(&r.rack, &r.status, &r.reason, numbers, actions.collect())
    });
    table(&mut out, "Racks", "rack", racks.collect());
    let runner_pools = plan.runner_pools.iter().map(|p| {
        let numbers = p.numbers.map(|n| {
            format!(
                "runners {}: busy {}, idle {}, gone {}; pending jobs {}",
                n.runners, n.busy, n.idle, n.gone, n.pending
            )
        });
        let starts = p.starts.iter().map(|s| format!("start {}", s.name));
        let removals = p
            .removals
            .iter()
            .map(|r| match (r.runner_id, &r.container_id) {
                (Some(id), _) => format!("remove runner {id}"),
                (None, Some(c)) => format!("remove container {}", &c[..c.len().min(12)]),
                (None, None) => "remove nothing".to_string(),
            });
        let actions = starts.chain(removals).collect();
        row(&p.pool, &p.status, &p.reason, numbers, actions)
    });
    table(
        &mut out,
        "Runner pools",
        "runner pool",
        runner_pools.collect(),
    );
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
