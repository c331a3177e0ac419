//! `devicepool explain NAME`: plan from a fresh reading (read-only clients) or a recorded
//! snapshot, then print the chain of numbers and rules behind that one entry's decision, as
//! the entry's kind tells it. Changes nothing; never saves a plan.

use serde_json::json;

use super::prepare::prepare;
use crate::cli::{ExplainArgs, Format};
use crate::exit::Exit;
use crate::load::Purpose;
use crate::load::partition::Partition;
use crate::reconcilers::PoolStatus;
use crate::report;
use crate::snapshot::recording::Recording;

pub(super) fn run(
    args: &ExplainArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Exit> {
    let purpose = match args.from_snapshot {
        Some(_) => Purpose::Replay,
        None => Purpose::Read,
    };
    let prepared = prepare(&args.config.config, env, purpose, &Partition::default())?;
    let desired = &prepared.loaded.desired;
    let names = crate::reconcilers::names_every_kind(desired);
    if !names.contains(&args.name.as_str()) {
        anyhow::bail!(
            "no device pool, rack or runner pool named {:?}; the names are: {}",
            args.name,
            names.join(", ")
        );
    }
    let snapshot = match &args.from_snapshot {
        Some(path) => Recording::read(path)?.into_snapshot(desired),
        None => super::plan::read_snapshot(&prepared),
    };
    let plan = super::plan::plan_from(&prepared, &snapshot);
    let entry = plan
        .entries()
        .find(|e| e.name() == args.name)
        .expect("every named entry is planned");
    let status = match entry.status() {
        PoolStatus::Planned => "planned",
        PoolStatus::Held { .. } => "held",
        PoolStatus::Disabled => "disabled",
    };
    // The plan's explanation: the entry's own lines, then its roll-out.
    let lines = (plan.explanations.iter())
        .find(|x| x.kind == entry.kind() && x.name == args.name)
        .map_or_else(|| entry.explain(), |x| x.lines.clone());
    let mut items = entry.explain_items();
    // A pool in a device group lists only its share: add the group's devices.
    let pool = plan.device_pools.iter().find(|p| p.pool == args.name);
    let group = pool
        .and_then(|p| p.group.as_ref())
        .and_then(|share| plan.device_groups.iter().find(|g| g.group == share.group));
    items.extend(
        group
            .map(crate::reconcilers::device_pools::report::explain_group_items)
            .unwrap_or_default(),
    );
    report::emit(&match args.format {
        Format::Json => {
            let mut shown = json!({
                "kind": entry.kind(),
                "name": entry.name(),
                "status": status,
                "snapshot_at": plan.snapshot_at,
                "explanation": lines,
                "items": items,
            });
            // Only a preview says so, as in the plan.
            if let Some(at) = plan.preview_at {
                shown["preview_at"] = json!(at);
            }
            report::json(&shown)
        }
        Format::Text => {
            let mut text = format!(
                "{} ({status}, read at {}):\n",
                report::escape_text(&entry.describe(), false),
                plan.snapshot_at
            );
            if let Some(at) = plan.preview_at {
                text.push_str(&format!("{}\n", report::preview_note(at)));
            }
            for line in lines.iter().chain(&items) {
                text.push_str(&format!("  {}\n", report::escape_text(line, false)));
            }
            text
        }
    });
    Ok(match entry.status() {
        PoolStatus::Held { .. } => Exit::Held,
        _ => Exit::Clean,
    })
}
