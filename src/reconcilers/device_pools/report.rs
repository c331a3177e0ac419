//! A device pool's text: its part of the plan (head line, reason, numbers, devices LambdaTest
//! does not list, stuck jobs, one line per job to start, its count in the plan's last line) and
//! its launches in the apply report. Formatting only.

use std::fmt::Write;

use super::model::{DeviceDecision, DeviceGroupPlan, DevicePoolPlan, DeviceState};
use crate::reconcilers::record::{ActionRecord, Outcome};
use crate::reconcilers::rollout::RolloutState;
use crate::reconcilers::{write_schedule_line, write_status_line};

/// Appends the entry as text: head line, reason, numbers, then one line per decision.
pub(crate) fn write_text(out: &mut String, pool: &DevicePoolPlan) {
    let head = format!("device pool {} ({})", pool.pool, pool.task_queue);
    let summary = format!("start {}", pool.starts.len());
    let planned = write_status_line(out, &head, &pool.status, &summary);
    write_schedule_line(out, pool.schedule.as_deref());
    if !planned {
        return;
    }
    let _ = writeln!(out, "  {}", pool.reason);
    if let Some(n) = &pool.numbers {
        let _ = writeln!(
            out,
            "  devices {}: active {}, quarantined {}, in flight {}, free {} | tasks pending {}, claimed {}; our jobs waiting {}, covering {} | org initiated {}/{}",
            n.devices,
            n.active,
            n.quarantined,
            n.in_flight,
            n.free,
            n.pending,
            n.claimed,
            n.waiting,
            n.covering,
            n.org_initiated,
            n.max_initiated
        );
    }
    if let Some(g) = &pool.group {
        let _ = writeln!(
            out,
            "  group {} (shared by {}): {}",
            g.group,
            g.pools.join(", "),
            g.explanation
        );
    }
    write_device_notes(out, &pool.devices);
    if let Some(line) = generations_line(pool) {
        let _ = writeln!(out, "  {line}");
    }
    if pool.numbers.is_some_and(|n| n.stuck > 0) {
        let stuck = pool.numbers.map_or(0, |n| n.stuck);
        let _ = writeln!(
            out,
            "  stuck: {stuck} job(s) of ours still initiated past stuck_after, not counted"
        );
        let freed = pool
            .devices
            .iter()
            .filter(|d| d.state == DeviceState::Spare);
        for device in freed.filter(|d| !d.detail.is_empty()) {
            let _ = writeln!(out, "  ~ {}: {}", device.udid, device.detail);
        }
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

/// Appends the devices a reader should look at: those LambdaTest does not list, contested,
/// cooling down, with a stale worker, or unusable.
fn write_device_notes(out: &mut String, devices: &[DeviceDecision]) {
    let unknown: Vec<&str> = devices
        .iter()
        .filter(|d| d.state == DeviceState::Unknown)
        .map(|d| d.udid.as_str())
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(out, "  not listed by LambdaTest: {}", unknown.join(", "));
    }
    for device in devices {
        let label = match device.state {
            DeviceState::Contested => "contested",
            DeviceState::CoolingDown => "cooling down",
            DeviceState::StaleWorker => "stale worker",
            DeviceState::Unusable => "unusable",
            _ => continue,
        };
        let _ = writeln!(out, "  {label}: {}: {}", device.udid, device.detail);
    }
}

/// Appends each device group once: its pools and the devices a reader should look at (each
/// pool's entry lists only its share).
pub(crate) fn write_groups(out: &mut String, groups: &[DeviceGroupPlan]) {
    for group in groups {
        let free = group
            .devices
            .iter()
            .filter(|d| matches!(d.state, DeviceState::Spare | DeviceState::Start));
        let _ = writeln!(
            out,
            "\ndevice group {} ({}; pools {}): devices {}, free {}",
            group.group,
            group.allocation.label(),
            group.pools.join(", "),
            group.devices.len(),
            free.count()
        );
        write_device_notes(out, &group.devices);
    }
}

/// One line per device of a group, for `explain` of one of its pools.
pub(crate) fn explain_group_items(group: &DeviceGroupPlan) -> Vec<String> {
    device_lines(&group.devices)
        .into_iter()
        .map(|line| format!("group {}: {line}", group.group))
        .collect()
}

/// Appends the launches of an apply: a count, then one line per launch (a failed one with the
/// first lines of the CLI's output).
pub(crate) fn write_outcomes(out: &mut String, records: &[&ActionRecord]) {
    if records.is_empty() {
        return;
    }
    let launched = records
        .iter()
        .filter(|r| r.outcome == Outcome::Done)
        .count();
    let _ = writeln!(
        out,
        "Apply: launched {launched} of {} job(s)",
        records.len()
    );
    for launch in records {
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
                    launch.pool, launch.target, launch.duration_ms
                );
            }
            Some(error) => {
                let _ = writeln!(
                    out,
                    "  FAILED {} {}: {}",
                    launch.pool, launch.target, error.message
                );
                let output = launch.output.as_deref().unwrap_or_default();
                for line in output.lines().take(10) {
                    let _ = writeln!(out, "         | {line}");
                }
            }
        }
    }
}

/// The plan's last line, this kind's part: how many of each action, even when none.
pub(crate) fn tally(entries: &[DevicePoolPlan]) -> Vec<(usize, &'static str)> {
    vec![(
        entries.iter().map(|p| p.starts.len()).sum(),
        "job(s) to start",
    )]
}

/// The chain of numbers and rules behind a device pool's decision, one step a line
/// (`devicepool explain`).
pub(crate) fn explain(pool: &DevicePoolPlan) -> Vec<String> {
    let mut lines = vec![pool.reason.clone()];
    lines.extend(pool.schedule.iter().map(|s| format!("{s} (in effect)")));
    let Some(n) = pool.numbers else {
        return lines;
    };
    lines.push(format!(
        "devices {}: active {} (quarantined {}, in flight {}, cooling down {}, stale worker {}), \
         contested {}, free {}",
        n.devices,
        n.active,
        n.quarantined,
        n.in_flight,
        n.cooling_down,
        n.stale_workers,
        n.contested,
        n.free
    ));
    let stuck = if n.stuck > 0 {
        format!(" ({} stuck job(s) of ours not counted)", n.stuck)
    } else {
        String::new()
    };
    lines.push(format!(
        "our jobs covering = waiting {} + min(running younger than launch_grace {}, running {} − claimed {}) = {}",
        n.waiting,
        n.young_running,
        n.running,
        n.claimed,
        n.covering
    ));
    lines.push(format!(
        "demand = pending {} − our jobs covering {} = {}{stuck}",
        n.pending, n.covering, n.demand
    ));
    match &pool.group {
        Some(g) => {
            lines.push(format!(
                "wanted = min(demand {}, max_starts_per_run {}) = {}",
                n.demand, n.cap, g.want
            ));
            lines.push(format!(
                "group {} shared by {}: {}",
                g.group,
                g.pools.join(", "),
                g.explanation
            ));
        }
        None => {
            let wanted = n.demand.min(u64::from(n.free)).min(u64::from(n.cap));
            lines.push(format!(
                "wanted = min(demand {}, free {}, max_starts_per_run {}) = {wanted}",
                n.demand, n.free, n.cap
            ));
        }
    }
    // The org's count stops once it reaches max_initiated: from there it is a lower bound.
    let at_least = if n.org_initiated >= n.max_initiated {
        "at least "
    } else {
        ""
    };
    lines.push(format!(
        "org-wide room = max_initiated {} − initiated in the org {at_least}{} = {}",
        n.max_initiated,
        n.org_initiated,
        n.max_initiated.saturating_sub(n.org_initiated)
    ));
    let bound = pool.bound.map_or("none", |b| b.label());
    lines.push(format!("starts {}, bound by {bound}", n.starts));
    lines.extend(generations_line(pool));
    lines
}

/// One line per device: its state and why.
pub(crate) fn explain_items(pool: &DevicePoolPlan) -> Vec<String> {
    device_lines(&pool.devices)
}

/// One line per device: its state, then its detail and the spec its last job ran, if any.
fn device_lines(devices: &[DeviceDecision]) -> Vec<String> {
    devices
        .iter()
        .map(|device| {
            let state = crate::reconcilers::word_of(&device.state);
            let spec = device.spec.as_ref().map(|s| format!("last job's spec {s}"));
            let notes: Vec<&str> = [Some(device.detail.as_str()), spec.as_deref()]
                .into_iter()
                .flatten()
                .filter(|n| !n.is_empty())
                .collect();
            if notes.is_empty() {
                format!("{}: {state}", device.udid)
            } else {
                format!("{}: {state} ({})", device.udid, notes.join("; "))
            }
        })
        .collect()
}

/// The results of each spec the pool's jobs ran, when the roll-out line (written only while
/// something is outdated) does not already say them and some job carries a spec label.
fn generations_line(pool: &DevicePoolPlan) -> Option<String> {
    let rollout = pool.rollout.as_ref()?;
    let labelled = pool.generations.iter().any(|g| g.spec.is_some());
    (labelled && rollout.state == RolloutState::Converged)
        .then(|| format!("job specs: {}", rollout.reason))
}
