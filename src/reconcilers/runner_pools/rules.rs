//! The runner-pool rules: start runners for pending jobs the pool's tags satisfy (minus idle
//! runners, plus `min_idle`, within `max_runners` and the per-run cap); remove runners idle
//! past the cooldown while more than needed are idle or the pool is above `max_runners` (a
//! drain), runners offline or without a running container past the grace period, runners
//! paused by an earlier removal (the note says so), idle runners due for recycling, and
//! containers of ours with no runner. Never a runner with a running job, nor one a person
//! paused. How each runner is judged is in `judge.rs`. Pure: data in, data out, `now` passed
//! in.

use jiff::Timestamp;

use super::config::RunnerPool;
use super::conventions::runner_name;
use super::drain::describe_drain;
use super::judge::{Judged, Limits, judge_runners, removal, show};
use super::model::{
    RemovalReason, RunnerDecision, RunnerNumbers, RunnerPoolPlan, RunnerRemoval, RunnerStart,
    RunnerState,
};
use crate::load::Desired;
use crate::reconcilers::PoolStatus;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::{disabled, unplanned};
use crate::snapshot::Snapshot;
use crate::snapshot::{ContainerView, PendingJobView, RunnerPoolState, RunnerView};

/// Plans every runner pool of `desired`, in name order, then their roll-outs. A disabled pool
/// is planned all the same and then only reported: nothing to start or remove.
pub(crate) fn plan_all(desired: &Desired, snapshot: &Snapshot) -> Vec<RunnerPoolPlan> {
    let now = snapshot.taken_at;
    let keyed = Ownership::of(desired).keyed();
    let mut plans: Vec<RunnerPoolPlan> = desired
        .runner_pools
        .iter()
        .map(|(name, pool)| {
            let read = snapshot.runner_pools.get(name);
            let plan_fresh =
                |state| super::placement::plan_on_hosts(name, pool, state, (keyed, now));
            let mut plan = match (read, pool.disabled) {
                (Some(Ok(state)), false) => plan_fresh(state),
                (Some(Ok(state)), true) => report_only(plan_fresh(state)),
                (Some(Err(e)), true) => {
                    let (status, reason) = disabled();
                    held_runner_pool(name, (status, format!("{reason}; not read: {e}")))
                }
                (None, true) => held_runner_pool(name, disabled()),
                (Some(Err(e)), false) => held_runner_pool(name, unplanned(&[Some(e)])),
                (None, false) => held_runner_pool(name, unplanned(&[])),
            };
            plan.schedule = (pool.in_effect.as_ref()).map(|e| e.description.clone());
            plan.schedule_period = (pool.in_effect.as_ref()).map(|e| e.period.clone());
            if let Some(Ok(state)) = snapshot.runner_pools.get(name) {
                plan.docker_api = state.docker_api.clone();
            }
            plan
        })
        .collect();
    super::replace::roll_out(desired, snapshot, &mut plans);
    plans
}

/// A disabled pool's plan: what it would do, said, and nothing done.
fn report_only(mut plan: RunnerPoolPlan) -> RunnerPoolPlan {
    let (starts, removals) = (plan.starts.len(), plan.removals.len());
    plan.reason = format!(
        "disabled in the desired state: report only (would start {starts}, remove {removals}); {}",
        plan.reason
    );
    plan.status = disabled().0;
    plan.starts.clear();
    plan.removals.clear();
    plan.pauses.clear();
    for host in &mut plan.hosts {
        host.starts.clear();
        host.removals.clear();
    }
    for decision in &mut plan.runners {
        if decision.state == RunnerState::Remove {
            decision.state = RunnerState::Kept;
            decision.detail.push_str("; kept: the pool is disabled");
        }
    }
    if let Some(n) = plan.numbers.as_mut() {
        (n.starts, n.removals) = (0, 0);
    }
    plan
}

/// Plans one runner pool from fresh data: judge each runner, pick the idle ones to remove
/// (draining down to `max_runners`), apply the removal budgets, size the starts, say why.
pub(crate) fn plan_runner_pool(
    name: &str,
    pool: &RunnerPool,
    state: &RunnerPoolState,
    (keyed, now): (bool, Timestamp),
) -> RunnerPoolPlan {
    let limits = Limits::of(pool, keyed, now);
    let (pending, pending_since) = count_pending(pool, state);
    let judged = judge_runners(state, &limits);
    let runners = state.runners.len() as u32;
    let orphans = find_orphans(state);
    // Every runner of ours counts towards max_runners, left-alone ones too; those already
    // going leave room.
    let leaving = (judged.gone.len() + judged.recycle.len()) as u32;
    let excess = (runners - leaving).saturating_sub(pool.max_runners);
    let keep_idle = pending + pool.min_idle;
    let idle_removals = pick_idle_removals(&judged.idle, state, &limits, keep_idle, excess);
    let budgeted = apply_budgets(pool, runners, &judged, idle_removals, &orphans);
    let sizing = size_starts(pool, &judged, &budgeted.removals, keep_idle);
    let mut decisions = judged.decisions;
    mark_removed(&mut decisions, &budgeted);

    let starts: Vec<RunnerStart> = (1..=sizing.starts)
        .map(|i| RunnerStart {
            name: runner_name(name, now.as_second(), i),
            tags: pool.tags.clone(),
            container_spec: String::new(),
            replaces: None,
        })
        .collect();
    let numbers = RunnerNumbers {
        runners,
        busy: judged.busy,
        idle: judged.idle.len() as u32,
        gone: judged.gone.len() as u32,
        pending,
        pending_since,
        min_idle: pool.min_idle,
        max_runners: pool.max_runners,
        starts: sizing.starts,
        removals: budgeted.removals.len() as u32,
        left_alone: judged.left_alone,
        busy_too_long: judged.busy_too_long,
        above_max: runners.saturating_sub(pool.max_runners),
        failed: judged.failed,
    };
    let thresholds = limits.shown();
    let mut reason = write_reason(pool, &numbers, &sizing, &budgeted);
    if judged.failed > 0 {
        reason.push_str(&format!(
            "; {} failed on the new spec, kept as the roll-out's evidence (not capacity)",
            judged.failed
        ));
    }
    if let Some(drain) = describe_drain(&numbers, &decisions, &thresholds) {
        reason.push_str(&format!("; {drain}"));
    }
    RunnerPoolPlan {
        rollout: None,
        pool: name.to_string(),
        status: PoolStatus::Planned,
        reason,
        numbers: Some(numbers),
        starts,
        removals: budgeted.removals,
        pauses: Vec::new(),
        runners: decisions,
        schedule: None,
        schedule_period: None,
        thresholds: Some(thresholds),
        orphans: orphans.into_iter().map(|o| o.detail).collect(),
        docker_api: None,
        hosts: Vec::new(),
    }
}

/// How many runners to start, and the numbers that bound it.
#[derive(Clone, Copy)]
struct Sizing {
    /// Runners wanted: pending jobs plus `min_idle`, less the idle runners that stay.
    want: u32,
    /// Room under `max_runners` once this plan's removals are done.
    room: u32,
    idle_staying: u32,
    starts: u32,
}

/// Starts for what pending jobs and `min_idle` want beyond the idle runners that stay, within
/// the room under `max_runners` and `max_starts_per_run`.
fn size_starts(
    pool: &RunnerPool,
    judged: &Judged<'_>,
    removals: &[RunnerRemoval],
    keep_idle: u32,
) -> Sizing {
    let runners = judged.decisions.len() as u32;
    let removed_runners = removals.iter().filter(|r| r.runner_id.is_some()).count() as u32;
    let idle_leaving = removals.iter().filter(|r| is_idle_removal(r.why)).count();
    // A recycled runner whose removal the budget kept is idle capacity all the same.
    let idle_staying = (judged.idle.len() + judged.recycle.len() - idle_leaving) as u32;
    let want = keep_idle.saturating_sub(idle_staying);
    let room = pool.max_runners.saturating_sub(runners - removed_runners);
    Sizing {
        want,
        room,
        idle_staying,
        starts: want.min(room).min(pool.max_starts_per_run),
    }
}

/// The reason line: starts and removals, and what clipped them.
fn write_reason(
    pool: &RunnerPool,
    numbers: &RunnerNumbers,
    sizing: &Sizing,
    budgeted: &Budgeted,
) -> String {
    let Sizing {
        want,
        room,
        idle_staying,
        starts,
    } = *sizing;
    let mut reason = format!(
        "starting {starts} (wanted {want}: {} pending + {} min_idle − {idle_staying} idle), removing {}",
        numbers.pending, pool.min_idle, numbers.removals
    );
    if starts < want {
        let bound = if starts == room {
            "max_runners"
        } else {
            "max_starts_per_run"
        };
        reason.push_str(&format!("; starts clipped by {bound}"));
    }
    if budgeted.clipped {
        reason.push_str(&format!(
            "; removals clipped by max_removals_per_run ({}) / max_remove_fraction ({}): {} wanted",
            pool.max_removals_per_run, pool.max_remove_fraction, budgeted.wanted
        ));
    }
    reason
}

/// Pending jobs whose tags are all among the pool's, and when the oldest of them was created.
fn count_pending(pool: &RunnerPool, state: &RunnerPoolState) -> (u32, Option<Timestamp>) {
    let jobs = state.pending_jobs.iter();
    // Our runners are registered with run_untagged off, so an untagged job is not theirs.
    let ours: Vec<&PendingJobView> = jobs
        .filter(|job| !job.tags.is_empty() && job.tags.iter().all(|t| pool.tags.contains(t)))
        .collect();
    let oldest = ours.iter().filter_map(|job| job.created_at).min();
    (ours.len() as u32, oldest)
}

/// Containers of ours whose runner id GitLab does not know at all.
fn find_orphans(state: &RunnerPoolState) -> Vec<RunnerRemoval> {
    let known = |c: &&ContainerView| {
        c.runner_id
            .is_some_and(|id| state.known_runner_ids.contains(&id))
    };
    state
        .containers
        .iter()
        .filter(|c| !known(c))
        .map(|c| RunnerRemoval {
            runner_id: None,
            container_id: Some(c.id.clone()),
            why: RemovalReason::Orphan,
            detail: format!("container {} ({}) has no runner record", c.name, c.state),
            preconditions: vec![format!("container {} still has no runner record", c.name)],
        })
        .collect()
}

/// Idle runners past the cooldown, oldest first: as many as are idle beyond what pending jobs
/// and `min_idle` need (the same sum the starts aim for, so nothing churns), or, when the
/// pool is above `max_runners`, as many as it is above (a drain), whichever is more.
fn pick_idle_removals(
    idle: &[(&RunnerView, Option<Timestamp>)],
    state: &RunnerPoolState,
    limits: &Limits,
    keep_idle: u32,
    excess: u32,
) -> Vec<RunnerRemoval> {
    let mut idle = idle.to_vec();
    idle.sort_by_key(|(r, since)| (*since, r.id));
    let surplus = idle.len().saturating_sub(keep_idle as usize);
    let wanted = surplus.max(excess as usize);
    let container_of = |id: u64| {
        let c = state.containers.iter().find(|c| c.runner_id == Some(id));
        c.map(|c| c.id.clone())
    };
    idle.iter()
        .filter(|(_, since)| limits.older_than(*since, limits.cooldown))
        .take(wanted)
        .enumerate()
        .map(|(i, (r, since))| {
            let (why, detail) = if i < surplus {
                (RemovalReason::Idle, format!("idle since {}", show(*since)))
            } else {
                let detail = format!("idle since {}, pool above max_runners", show(*since));
                (RemovalReason::Drain, detail)
            };
            removal(r, container_of(r.id), why, detail)
        })
        .collect()
}

/// Whether a removal takes away an idle runner (capacity the starts counted on).
fn is_idle_removal(why: RemovalReason) -> bool {
    matches!(
        why,
        RemovalReason::Idle | RemovalReason::Drain | RemovalReason::Recycle
    )
}

/// The removals the budgets let through, and whether they cut any.
struct Budgeted {
    removals: Vec<RunnerRemoval>,
    /// Runners whose removal the budgets cut.
    cut: Vec<u64>,
    /// Removals wanted before the budgets, orphans included.
    wanted: usize,
    clipped: bool,
}

/// Runner removals (gone first, then recycled, then idle) within `max_removals_per_run` and
/// `max_remove_fraction` of the pool's runners (rounded up, so a pool of one can still be
/// tidied); orphan containers in what `max_removals_per_run` leaves.
fn apply_budgets(
    pool: &RunnerPool,
    runners: u32,
    judged: &Judged<'_>,
    idle_removals: Vec<RunnerRemoval>,
    orphans: &[RunnerRemoval],
) -> Budgeted {
    let fraction_cap = (pool.max_remove_fraction * f64::from(runners)).ceil() as usize;
    let runner_cap = fraction_cap.min(pool.max_removals_per_run as usize);
    let wanted_runners = judged.gone.len() + judged.recycle.len() + idle_removals.len();
    let mut removals: Vec<RunnerRemoval> = (judged.gone.iter().cloned())
        .chain(judged.recycle.iter().cloned())
        .chain(idle_removals)
        .collect();
    let cut = removals.split_off(runner_cap.min(removals.len()));
    let room = (pool.max_removals_per_run as usize).saturating_sub(removals.len());
    removals.extend(orphans.iter().take(room).cloned());
    let wanted = wanted_runners + orphans.len();
    Budgeted {
        clipped: removals.len() < wanted,
        removals,
        cut: cut.iter().filter_map(|r| r.runner_id).collect(),
        wanted,
    }
}

/// Marks the runners the removals take; those the budgets kept say so.
fn mark_removed(decisions: &mut [RunnerDecision], budgeted: &Budgeted) {
    for decision in decisions {
        let mut removals = budgeted.removals.iter();
        let removal = removals.find(|r| r.runner_id == Some(decision.id));
        if let Some(removal) = removal {
            decision.state = RunnerState::Remove;
            if removal.why == RemovalReason::Drain {
                decision.detail.push_str("; above max_runners: drained");
            }
        } else if budgeted.cut.contains(&decision.id) {
            decision.state = RunnerState::Kept;
            decision.detail.push_str("; kept by the removal budget");
        }
    }
}

/// A runner pool not planned.
pub(crate) fn held_runner_pool(
    name: &str,
    (status, reason): (PoolStatus, String),
) -> RunnerPoolPlan {
    RunnerPoolPlan {
        rollout: None,
        pool: name.to_string(),
        status,
        reason,
        numbers: None,
        starts: Vec::new(),
        removals: Vec::new(),
        pauses: Vec::new(),
        runners: Vec::new(),
        schedule: None,
        schedule_period: None,
        thresholds: None,
        orphans: Vec::new(),
        docker_api: None,
        hosts: Vec::new(),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
pub(super) mod tests;

#[cfg(test)]
#[path = "rules_lifetime_tests.rs"]
mod lifetime_tests;
