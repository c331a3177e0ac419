//! A runner pool's text: its part of the plan (head line, reason, numbers, runners to start,
//! remove or pause for a roll-out, those deliberately left alone, its counts in the plan's
//! last line) and its runner actions in the apply report; the Markdown summary words its
//! numbers and removals with the same functions. Formatting only.

use std::fmt::Write;

use super::model::{RunnerNumbers, RunnerPoolPlan, RunnerRemoval, RunnerState};
use crate::reconcilers::record::{Action, ActionRecord, Outcome};
use crate::reconcilers::{PoolStatus, word_of, write_schedule_line, write_status_line};

/// Appends the entry as text: head line, reason, numbers, then one line per decision.
pub(crate) fn write_text(out: &mut String, pool: &RunnerPoolPlan) {
    let head = format!("runner pool {}", pool.pool);
    let mut summary = format!(
        "start {}, remove {}",
        pool.starts.len(),
        pool.removals.len()
    );
    if !pool.pauses.is_empty() {
        summary.push_str(&format!(", pause {}", pool.pauses.len()));
    }
    let planned = write_status_line(out, &head, &pool.status, &summary);
    write_schedule_line(out, pool.schedule.as_deref());
    // A disabled pool is still read: it reports what it would do (or why it was not read).
    if !planned && (pool.numbers.is_none() || pool.status != PoolStatus::Disabled) {
        if pool.status == PoolStatus::Disabled {
            let _ = writeln!(out, "  {}", pool.reason);
        }
        return;
    }
    let _ = writeln!(out, "  {}", pool.reason);
    if let Some(n) = &pool.numbers {
        let _ = writeln!(
            out,
            "  runners {}: {} | pending jobs {} | min_idle {}, max_runners {}",
            n.runners,
            runner_counts(n),
            n.pending,
            n.min_idle,
            n.max_runners
        );
    }
    for line in super::placement::host_lines(pool) {
        let _ = writeln!(out, "  {line}");
    }
    for start in &pool.starts {
        let replacing = start.replaces.map_or(String::new(), |id| {
            format!(", replaces outdated runner {id}")
        });
        let _ = writeln!(
            out,
            "  + start {} (tags {}{replacing})",
            start.name,
            start.tags.join(",")
        );
    }
    for removal in &pool.removals {
        let why = word_of(&removal.why);
        let what = removed(removal);
        let _ = writeln!(out, "  - remove {what} ({why}: {})", removal.detail);
    }
    for pause in &pool.pauses {
        let _ = writeln!(
            out,
            "  ~ pause runner {} ({})",
            pause.runner_id, pause.detail
        );
    }
    // Decisions not to act on a runner that would otherwise be acted on, as the JSON has them.
    for runner in &pool.runners {
        if matches!(
            runner.state,
            RunnerState::LeftAlone
                | RunnerState::Kept
                | RunnerState::BusyTooLong
                | RunnerState::Failed
        ) {
            let _ = writeln!(
                out,
                "  = {} runner {} {} ({})",
                word_of(&runner.state),
                runner.id,
                runner.description,
                runner.detail
            );
        }
    }
}

/// Appends the runner actions of an apply: a count, then one line per start or removal.
pub(crate) fn write_outcomes(out: &mut String, records: &[&ActionRecord]) {
    if records.is_empty() {
        return;
    }
    let done = records
        .iter()
        .filter(|r| r.outcome == Outcome::Done)
        .count();
    let _ = writeln!(out, "Runners: {done} of {} action(s) done", records.len());
    for record in records {
        let what = match (record.action, record.runner_id) {
            (Action::StartRunner, Some(id)) => format!("started runner {id} {}", record.target),
            (Action::StartRunner, None) => format!("start {}", record.target),
            (Action::PauseRunner, _) => format!("pause {} for roll-out", record.target),
            (_, Some(id)) => format!("remove runner {id}"),
            (_, None) => format!(
                "remove orphan container {}",
                record.container_id.as_deref().unwrap_or("?")
            ),
        };
        let status = match record.outcome {
            Outcome::Failed | Outcome::Skipped => "FAILED",
            Outcome::Done => "ok    ",
            Outcome::Kept => "kept  ",
        };
        let _ = write!(out, "  {status} {} {what}", record.pool);
        if let Some(e) = &record.error {
            let _ = write!(out, ": {}", e.message);
        }
        if let Some(note) = &record.note {
            let _ = write!(out, " ({note})");
        }
        out.push('\n');
    }
}

/// The plan's last line, this kind's part: how many of each action, even when none.
pub(crate) fn tally(entries: &[RunnerPoolPlan]) -> Vec<(usize, &'static str)> {
    let starts = entries.iter().map(|p| p.starts.len()).sum();
    let removals = entries.iter().map(|p| p.removals.len()).sum();
    let pauses = entries.iter().map(|p| p.pauses.len()).sum();
    let mut counts = vec![
        (starts, "runner(s) to start"),
        (removals, "runner(s) to remove"),
    ];
    // Said only when a roll-out pauses, so plans without one read as before.
    if pauses > 0 {
        counts.push((pauses, "runner(s) to pause for roll-out"));
    }
    counts
}

/// What a removal takes away: `runner 12`, `container 0123456789ab` (an orphan), `nothing`.
pub(crate) fn removed(removal: &RunnerRemoval) -> String {
    match (removal.runner_id, &removal.container_id) {
        (Some(id), _) => format!("runner {id}"),
        (None, Some(c)) => format!("container {}", &c[..c.len().min(12)]),
        (None, None) => "nothing".to_string(),
    }
}

/// How the pool's runners split: busy (and of them too long), idle, gone, left alone, and
/// failed when any are. The one wording of these numbers: the text plan, `explain` and the
/// Markdown summary's numbers cell all use it.
pub(crate) fn runner_counts(n: &RunnerNumbers) -> String {
    let too_long = match n.busy_too_long {
        0 => String::new(),
        k => format!(" ({k} too long)"),
    };
    let failed = match n.failed {
        0 => String::new(),
        k => format!(", failed {k} (kept as evidence)"),
    };
    format!(
        "busy {}{too_long}, idle {}, gone {}, left alone {}{failed}",
        n.busy, n.idle, n.gone, n.left_alone
    )
}

/// The chain of numbers and rules behind a runner pool's decision (`devicepool explain`):
/// the reason, the numbers, the limits each runner was compared against, the orphans.
pub(crate) fn explain(pool: &RunnerPoolPlan) -> Vec<String> {
    let mut lines = vec![pool.reason.clone()];
    lines.extend(pool.schedule.iter().map(|s| format!("{s} (in effect)")));
    if let Some(n) = pool.numbers {
        lines.push(format!(
            "runners {}: {}; pending jobs for its tags {}",
            n.runners,
            runner_counts(&n),
            n.pending
        ));
        lines.push(format!(
            "min_idle {}, max_runners {}: starts {}, removals {}",
            n.min_idle, n.max_runners, n.starts, n.removals
        ));
    }
    if let Some(t) = &pool.thresholds {
        let mut limits = format!(
            "compared against: idle_cooldown {} (idle since the last job, else since registered), offline_grace {} (since last contact), max_job_duration {}",
            t.idle_cooldown, t.offline_grace, t.max_job_duration
        );
        if let Some(jobs) = t.max_jobs_per_runner {
            limits.push_str(&format!(", max_jobs_per_runner {jobs}"));
        }
        if let Some(age) = &t.max_runner_age {
            limits.push_str(&format!(", max_runner_age {age}"));
        }
        lines.push(limits);
    }
    if pool.numbers.is_some() {
        lines.push(match pool.orphans.len() {
            0 => "orphan containers (ours, no runner record): none".to_string(),
            n => format!("orphan containers (ours, no runner record): {n}"),
        });
    }
    lines.extend(pool.orphans.iter().map(|o| format!("orphan {o}")));
    lines.extend(super::placement::host_lines(pool));
    lines
}

/// One line per runner of ours: its state and why.
pub(crate) fn explain_items(pool: &RunnerPoolPlan) -> Vec<String> {
    let mut lines = Vec::new();
    for runner in &pool.runners {
        let state = word_of(&runner.state);
        lines.push(format!(
            "runner {} {}: {state} ({})",
            runner.id, runner.description, runner.detail
        ));
    }
    lines
}
