//! The fleet as one static HTML page (`plan`, `show` and `apply` with `--format html`): a grid
//! of cells, one per device, machine and runner, grouped by pool and device group, coloured by
//! state and labelled in words, with held entries and their reasons on top. Formatting only:
//! inline CSS, no script, nothing fetched; every string from the plan passes `escape_html`.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;

use super::state_class::{Class, device_class, machine_class, runner_class};
use crate::apply::ApplyReport;
use crate::plan::{Plan, PoolStatus, RackPlan, RunnerPoolPlan};
use crate::reconcilers::{KindPlan, word_of};

/// One cell of the grid, its strings not yet escaped.
struct Cell<'a> {
    name: &'a str,
    state: String,
    class: Class,
    /// The `explain` line of the device, machine or runner.
    explain: String,
    /// What apply made of the action on it (`done`, `failed`, `skipped`), if it ran one.
    outcome: Option<&'a str>,
}

/// What apply made of each action, by pool and target.
type Outcomes = HashMap<String, HashMap<String, String>>;

fn outcome_of<'a>(outcomes: &'a Outcomes, pool: &str, target: &str) -> Option<&'a str> {
    let of_pool = outcomes.get(pool)?;
    of_pool.get(target).map(String::as_str)
}

/// Text as HTML, safe in an element and in a quoted attribute; what must not reach a terminal
/// (controls, bidi and other invisible marks) shown escaped as text output shows it (`\u{202e}`).
pub(crate) fn escape_html(text: &str) -> Cow<'_, str> {
    let special =
        |c: char| matches!(c, '&' | '<' | '>' | '"' | '\'') || super::escape::is_unsafe(c);
    if !text.contains(special) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if super::escape::is_unsafe(c) => out.extend(c.escape_default()),
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// The plan as a page.
pub fn plan_html(plan: &Plan) -> String {
    page("devicepool plan", plan, &plan.held(), &Outcomes::new())
}

/// The apply report as a page: the plan it carried out, each action's outcome on its cell.
pub fn apply_html(report: &ApplyReport) -> String {
    let mut outcomes = Outcomes::new();
    for a in &report.actions {
        let of_pool = outcomes.entry(a.pool.clone()).or_default();
        of_pool.insert(a.target.clone(), word_of(&a.outcome));
    }
    let held: Vec<(String, String)> = report
        .held
        .iter()
        .map(|h| (h.pool.clone(), h.reason.clone()))
        .collect();
    page("devicepool apply", &report.plan, &held, &outcomes)
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:1em;color:#111}\
h2{font-size:1.1em;margin:1.2em 0 .3em}h3{font-size:1em;margin:.8em 0 .2em}\
.r{font-weight:normal;color:#444}\
ul{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:3px}\
li{position:relative;border:1px solid #666;border-radius:3px;padding:1px 4px;font-size:12px}\
li b{display:block;font-weight:normal;font-size:11px}\
li:focus{outline:2px solid #000}\
li:hover::after,li:focus::after{content:attr(title);position:absolute;left:0;top:100%;\
z-index:1;background:#111;color:#fff;padding:3px 6px;white-space:pre;font-size:12px}\
.a{background:#cfe2ff;border:3px solid #0b3d91;font-weight:bold}.f{background:#d3f9d8}\
.w{background:#fff3bf}.t{background:#ffc9c9}.x{background:#e9ecef;color:#333}\
#held{border:2px solid #c00;background:#fff5f5;padding:.3em .8em}";

/// The whole page.
fn page(title: &str, plan: &Plan, held: &[(String, String)], outcomes: &Outcomes) -> String {
    let mut out = String::with_capacity(4096);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
         <style>{STYLE}</style></head><body>\n<h1>{title}</h1>\n<p>Plan for <code>{}</code>, \
         read at {}{}.</p>\n",
        escape_html(&plan.config_path),
        plan.snapshot_at,
        if plan.replayed {
            ", from a recorded snapshot"
        } else {
            ""
        }
    );
    if let Some(at) = plan.preview_at {
        let _ = writeln!(out, "<p>{}.</p>", escape_html(&super::preview_note(at)));
    }
    let tally: Vec<String> = crate::reconcilers::tally_every_kind(plan)
        .into_iter()
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
    let _ = writeln!(
        out,
        "<p><strong>{}, {} held.</strong></p>",
        escape_html(&tally.join(", ")),
        held.len()
    );
    if !held.is_empty() {
        out.push_str("<section id=\"held\"><h2>Held</h2>\n");
        for (name, reason) in held {
            let _ = writeln!(
                out,
                "<p><strong>{}</strong>: {}</p>",
                escape_html(name),
                escape_html(reason)
            );
        }
        out.push_str("</section>\n");
    }
    let mut body = String::with_capacity(128 * plan_items(plan));
    let mut seen = Vec::new();
    write_device_pools(&mut body, plan, outcomes, &mut seen);
    for rack in &plan.racks {
        write_section(&mut body, rack, &machine_cells(rack, outcomes), &mut seen);
    }
    for pool in &plan.runner_pools {
        write_section(&mut body, pool, &runner_cells(pool, outcomes), &mut seen);
    }
    write_legend(&mut out, &seen);
    out.push_str(&body);
    out.push_str("</body></html>\n");
    out
}

/// Devices, machines and runners in the plan: the page's size.
fn plan_items(plan: &Plan) -> usize {
    let devices: usize = plan.device_pools.iter().map(|p| p.devices.len()).sum();
    let grouped: usize = plan.device_groups.iter().map(|g| g.devices.len()).sum();
    let machines: usize = plan.racks.iter().map(|r| r.machines.len()).sum();
    let runners: usize = plan.runner_pools.iter().map(|p| p.runners.len()).sum();
    devices + grouped + machines + runners
}

/// Each class shown, with the state words the page gives it.
fn write_legend(out: &mut String, seen: &[(Class, String)]) {
    out.push_str("<h2>Legend</h2><ul class=\"legend\">\n");
    for class in Class::ALL {
        let (css, words) = class.css();
        let mut states: Vec<&str> = seen
            .iter()
            .filter(|(c, _)| *c == class)
            .map(|(_, s)| s.as_str())
            .collect();
        states.sort_unstable();
        states.dedup();
        let _ = writeln!(
            out,
            "<li class=\"{css}\">{words}<b>{}</b></li>",
            if states.is_empty() {
                "none here".to_string()
            } else {
                states.join(", ")
            }
        );
    }
    out.push_str("</ul>\n");
}

/// Ungrouped pools with their devices; each device group once, with its devices, under the
/// heads of the pools that share it.
fn write_device_pools(
    out: &mut String,
    plan: &Plan,
    outcomes: &Outcomes,
    seen: &mut Vec<(Class, String)>,
) {
    for pool in plan.device_pools.iter().filter(|p| p.group.is_none()) {
        let cells = device_cells(&pool.pool, &pool.devices, pool.explain_items(), outcomes);
        write_section(out, pool, &cells, seen);
    }
    for group in &plan.device_groups {
        let _ = writeln!(
            out,
            "<section><h2>device group {}</h2>",
            escape_html(&group.group)
        );
        let sharing = plan
            .device_pools
            .iter()
            .filter(|p| p.group.as_ref().is_some_and(|g| g.group == group.group));
        for pool in sharing {
            write_head(out, pool);
        }
        let lines = crate::reconcilers::device_pools::report::explain_group_items(group);
        let mut cells = device_cells("", &group.devices, lines, outcomes);
        // A started device's action is its pool's: the detail names the pool.
        for (cell, device) in cells.iter_mut().zip(&group.devices) {
            let pools = group.pools.iter().map(String::as_str);
            cell.outcome = pools
                .filter_map(|p| outcome_of(outcomes, p, &device.udid))
                .next();
        }
        write_cells(out, &cells, seen);
        out.push_str("</section>\n");
    }
}

fn device_cells<'a>(
    pool: &'a str,
    devices: &'a [crate::plan::DeviceDecision],
    lines: Vec<String>,
    outcomes: &'a Outcomes,
) -> Vec<Cell<'a>> {
    devices
        .iter()
        .zip(lines)
        .map(|(d, line)| Cell {
            name: &d.udid,
            state: word_of(&d.state),
            class: device_class(d.state),
            explain: line,
            outcome: outcome_of(outcomes, pool, &d.udid),
        })
        .collect()
}

fn machine_cells<'a>(rack: &'a RackPlan, outcomes: &'a Outcomes) -> Vec<Cell<'a>> {
    let lines = crate::reconcilers::racks::report::explain_items(rack);
    rack.machines
        .iter()
        .zip(lines)
        .map(|(m, line)| Cell {
            name: &m.hostname,
            state: word_of(&m.state),
            class: machine_class(m.state),
            explain: line,
            // A deploy's target is the agent, which has the machine's hostname.
            outcome: outcome_of(outcomes, &rack.rack, &m.hostname),
        })
        .collect()
}

/// Every runner of ours, then one cell per runner this plan starts and per container of
/// ours without a runner that it removes.
fn runner_cells<'a>(pool: &'a RunnerPoolPlan, outcomes: &'a Outcomes) -> Vec<Cell<'a>> {
    let lines = crate::reconcilers::runner_pools::report::explain_items(pool);
    let mut cells: Vec<Cell> = pool
        .runners
        .iter()
        .zip(lines)
        .map(|(r, line)| {
            // A busy runner a roll-out pauses (`idle_only: false`) is this plan's action.
            let paused = pool.pauses.iter().any(|p| p.runner_id == r.id);
            (r, line, paused)
        })
        .map(|(r, line, paused)| Cell {
            name: &r.description,
            state: if paused {
                "pause".to_string()
            } else {
                word_of(&r.state)
            },
            class: if paused {
                Class::Act
            } else {
                runner_class(r.state)
            },
            explain: line,
            outcome: outcome_of(outcomes, &pool.pool, &format!("runner {}", r.id)),
        })
        .collect();
    cells.extend(pool.starts.iter().map(|start| Cell {
        name: &start.name,
        state: "start".to_string(),
        class: Class::Act,
        explain: format!("{}: start (tags {})", start.name, start.tags.join(", ")),
        outcome: outcome_of(outcomes, &pool.pool, &start.name),
    }));
    // A container of ours with no runner record: its removal is an action too.
    let orphans = pool.removals.iter().filter(|r| r.runner_id.is_none());
    cells.extend(orphans.filter_map(|removal| {
        let id = removal.container_id.as_deref()?;
        Some(Cell {
            name: id,
            state: "remove".to_string(),
            class: Class::Act,
            explain: format!("container {id}: remove ({})", removal.detail),
            outcome: outcome_of(outcomes, &pool.pool, id),
        })
    }));
    cells
}

/// An entry's head and its cells.
fn write_section(
    out: &mut String,
    entry: &dyn KindPlan,
    cells: &[Cell],
    seen: &mut Vec<(Class, String)>,
) {
    out.push_str("<section>");
    write_head(out, entry);
    write_cells(out, cells, seen);
    out.push_str("</section>\n");
}

/// `<h3>device pool a55: reason</h3>`, held and disabled said in words.
fn write_head(out: &mut String, entry: &dyn KindPlan) {
    let status = match entry.status() {
        PoolStatus::Planned => escape_html(entry.reason()).into_owned(),
        PoolStatus::Held { .. } => "<strong>held</strong> (see above)".to_string(),
        PoolStatus::Disabled => "disabled".to_string(),
    };
    let _ = writeln!(
        out,
        "<h3>{} <span class=\"r\">{status}</span></h3>",
        escape_html(&entry.describe())
    );
}

fn write_cells(out: &mut String, cells: &[Cell], seen: &mut Vec<(Class, String)>) {
    if cells.is_empty() {
        return;
    }
    out.push_str("<ul>");
    for cell in cells {
        let (css, _) = cell.class.css();
        let outcome = cell.outcome.map(|o| format!(" · {o}")).unwrap_or_default();
        let _ = write!(
            out,
            "<li class=\"{css}\" tabindex=\"0\" title=\"{}\">{}<b>{}{outcome}</b></li>",
            escape_html(&cell.explain),
            escape_html(cell.name),
            cell.state,
        );
        if !seen
            .iter()
            .any(|(c, s)| *c == cell.class && *s == cell.state)
        {
            seen.push((cell.class, cell.state.clone()));
        }
    }
    out.push_str("</ul>\n");
}

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
