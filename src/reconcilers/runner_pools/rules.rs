//! The runner-pool rules: start runners for pending jobs the pool's tags satisfy (minus idle
//! runners, plus `min_idle`, within `max_runners` and the per-run cap); remove runners idle
//! past the cooldown while more than needed are idle, runners offline or without a running
//! container past the grace period, runners paused by an earlier removal (the note says so),
//! and containers of ours with no runner. Never a runner with a running job, nor one a person
//! paused. Pure: data in, data out, `now` passed in.

use jiff::{SignedDuration, Timestamp};

use super::config::RunnerPool;
use super::conventions::runner_name;
use super::model::{
    RemovalReason, RunnerDecision, RunnerNumbers, RunnerPoolPlan, RunnerRemoval, RunnerStart,
    RunnerState,
};
use crate::load::Desired;
use crate::reconcilers::PoolStatus;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::{disabled, unplanned};
use crate::snapshot::Snapshot;
use crate::snapshot::{RunnerPoolState, RunnerView};

/// Plans every runner pool of `desired`, in name order.
pub(crate) fn plan_all(desired: &Desired, snapshot: &Snapshot) -> Vec<RunnerPoolPlan> {
    let now = snapshot.taken_at;
    let keyed = Ownership::of(desired).keyed();
    desired
        .runner_pools
        .iter()
        .map(|(name, pool)| {
            let mut plan = if pool.disabled {
                held_runner_pool(name, disabled())
            } else {
                match snapshot.runner_pools.get(name) {
                    Some(Ok(state)) => {
                        super::placement::plan_on_hosts(name, pool, state, (keyed, now))
                    }
                    Some(Err(e)) => held_runner_pool(name, unplanned(&[Some(e)])),
                    None => held_runner_pool(name, unplanned(&[])),
                }
            };
            plan.schedule = pool.in_effect.clone();
            if let Some(Ok(state)) = snapshot.runner_pools.get(name) {
                plan.docker_api = state.docker_api.clone();
            }
            plan
        })
        .collect()
}

/// Plans one runner pool from fresh data.
pub(crate) fn plan_runner_pool(
    name: &str,
    pool: &RunnerPool,
    state: &RunnerPoolState,
    (keyed, now): (bool, Timestamp),
) -> RunnerPoolPlan {
    let grace = SignedDuration::try_from(pool.offline_grace).unwrap_or(SignedDuration::MAX);
    let cooldown = SignedDuration::try_from(pool.idle_cooldown).unwrap_or(SignedDuration::MAX);
    let older_than = |at: Option<Timestamp>, span: SignedDuration| {
        at.is_some_and(|t| now.duration_since(t) >= span)
    };
    let pending = state
        .pending_jobs
        .iter()
        // Our runners are registered with run_untagged off, so an untagged job is not theirs.
        .filter(|job| !job.tags.is_empty() && job.tags.iter().all(|t| pool.tags.contains(t)))
        .count() as u32;

    let mut decisions = Vec::new();
    let mut gone: Vec<RunnerRemoval> = Vec::new();
    let mut idle: Vec<(&RunnerView, Option<Timestamp>)> = Vec::new();
    let mut busy = 0;
    let mut runners: Vec<&RunnerView> = state.runners.iter().collect();
    runners.sort_by_key(|r| r.id);
    for runner in &runners {
        let container = state
            .containers
            .iter()
            .find(|c| c.runner_id == Some(runner.id));
        let last_sign = runner.contacted_at.or(runner.created_at);
        let (runner_state, detail) = if runner.running_jobs > 0 {
            busy += 1;
            (
                RunnerState::Busy,
                format!("{} job(s) running", runner.running_jobs),
            )
        } else if runner.paused && !runner.paused_for_removal {
            // Someone paused it (to debug it, say): theirs to resume or delete. It takes no
            // job, so it is no capacity either.
            (
                RunnerState::LeftAlone,
                "paused by someone else; left alone".to_string(),
            )
        } else if keyed && container.is_none() {
            // A description, MAC and all, can be copied onto anyone's runner: with a key, only
            // a runner our container on this host serves is ours to pause and delete.
            (
                RunnerState::LeftAlone,
                "no container of ours on this host serves it: with an ownership key it is not removed (delete it by hand if it is ours)".to_string(),
            )
        } else if runner.paused {
            // Paused with our maintenance note: an earlier removal was cut short.
            gone.push(removal(
                runner,
                container.map(|c| c.id.clone()),
                RemovalReason::Offline,
                "paused by an earlier, unfinished removal".into(),
            ));
            (RunnerState::Remove, "paused".to_string())
        } else if matches!(
            runner.status.as_str(),
            "offline" | "stale" | "never_contacted"
        ) && older_than(last_sign, grace)
        {
            gone.push(removal(
                runner,
                container.map(|c| c.id.clone()),
                RemovalReason::Offline,
                format!("{} since {}", runner.status, show(last_sign)),
            ));
            (
                RunnerState::Remove,
                format!("{} past offline_grace", runner.status),
            )
        } else if container.is_none_or(|c| c.state != "running") && older_than(last_sign, grace) {
            let what = container.map_or("no container".to_string(), |c| {
                format!("container {}", c.state)
            });
            gone.push(removal(
                runner,
                container.map(|c| c.id.clone()),
                RemovalReason::ContainerGone,
                what.clone(),
            ));
            (RunnerState::Remove, format!("{what} past offline_grace"))
        } else {
            let idle_since = runner.last_finished_at.or(runner.created_at);
            idle.push((runner, idle_since));
            (
                RunnerState::Idle,
                format!("idle since {}", show(idle_since)),
            )
        };
        decisions.push(RunnerDecision {
            id: runner.id,
            description: runner.description.clone(),
            state: runner_state,
            detail,
        });
    }
    let orphans: Vec<RunnerRemoval> = state
        .containers
        .iter()
        .filter(|c| {
            c.runner_id
                .is_none_or(|id| !state.known_runner_ids.contains(&id))
        })
        .map(|c| RunnerRemoval {
            runner_id: None,
            container_id: Some(c.id.clone()),
            why: RemovalReason::Orphan,
            detail: format!("container {} ({}) has no runner record", c.name, c.state),
            preconditions: vec![format!("container {} still has no runner record", c.name)],
        })
        .collect();

    // Idle runners past the cooldown go, oldest first, while more than needed stay idle:
    // one per matching pending job plus `min_idle` (the same sum the starts aim for).
    idle.sort_by_key(|(r, since)| (*since, r.id));
    let keep_idle = (pending + pool.min_idle) as usize;
    let surplus = idle.len().saturating_sub(keep_idle);
    let idle_removals: Vec<RunnerRemoval> = idle
        .iter()
        .filter(|(_, since)| older_than(*since, cooldown))
        .take(surplus)
        .map(|(r, since)| {
            removal(
                r,
                state
                    .containers
                    .iter()
                    .find(|c| c.runner_id == Some(r.id))
                    .map(|c| c.id.clone()),
                RemovalReason::Idle,
                format!("idle since {}", show(*since)),
            )
        })
        .collect();

    // Budgets: per-run count and fraction of the pool's runners (rounded up, so a pool of
    // one can still be tidied).
    let fraction_cap = (pool.max_remove_fraction * runners.len() as f64).ceil() as usize;
    let runner_cap = fraction_cap.min(pool.max_removals_per_run as usize);
    let gone_count = gone.len() as u32;
    let wanted_runner_removals = gone.len() + idle_removals.len();
    let mut removals: Vec<RunnerRemoval> = gone
        .into_iter()
        .chain(idle_removals)
        .take(runner_cap)
        .collect();
    let room = (pool.max_removals_per_run as usize).saturating_sub(removals.len());
    let wanted_orphans = orphans.len();
    removals.extend(orphans.into_iter().take(room));
    for decision in &mut decisions {
        let removed = removals.iter().any(|r| r.runner_id == Some(decision.id));
        if removed {
            decision.state = RunnerState::Remove;
        } else if decision.state == RunnerState::Remove {
            decision.state = RunnerState::Kept;
            decision.detail.push_str("; kept by the removal budget");
        }
    }

    let removed_runners = removals.iter().filter(|r| r.runner_id.is_some()).count() as u32;
    let staying = runners.len() as u32 - removed_runners;
    let idle_staying = idle.len() as u32
        - removals
            .iter()
            .filter(|r| r.why == RemovalReason::Idle)
            .count() as u32;
    let want = (pending + pool.min_idle).saturating_sub(idle_staying);
    let room = pool.max_runners.saturating_sub(staying);
    let starts_n = want.min(room).min(pool.max_starts_per_run);
    let stamp = now.as_second();
    let starts: Vec<RunnerStart> = (1..=starts_n)
        .map(|i| RunnerStart {
            name: runner_name(name, stamp, i),
            tags: pool.tags.clone(),
            container_spec: String::new(),
        })
        .collect();

    let mut reason = format!(
        "starting {starts_n} (wanted {want}: {pending} pending + {} min_idle − {idle_staying} idle), removing {}",
        pool.min_idle,
        removals.len()
    );
    if starts_n < want {
        let bound = if starts_n == room {
            "max_runners"
        } else {
            "max_starts_per_run"
        };
        reason.push_str(&format!("; starts clipped by {bound}"));
    }
    if removed_runners < wanted_runner_removals as u32
        || removals.len() < wanted_runner_removals + wanted_orphans
    {
        reason.push_str(&format!(
            "; removals clipped by max_removals_per_run ({}) / max_remove_fraction ({}): {} wanted",
            pool.max_removals_per_run,
            pool.max_remove_fraction,
            wanted_runner_removals + wanted_orphans
        ));
    }
    RunnerPoolPlan {
        pool: name.to_string(),
        status: PoolStatus::Planned,
        reason,
        numbers: Some(RunnerNumbers {
            runners: runners.len() as u32,
            busy,
            idle: idle.len() as u32,
            gone: gone_count,
            pending,
            min_idle: pool.min_idle,
            max_runners: pool.max_runners,
            starts: starts_n,
            removals: removals.len() as u32,
        }),
        starts,
        removals,
        runners: decisions,
        schedule: None,
        docker_api: None,
        hosts: Vec::new(),
    }
}

fn removal(
    runner: &RunnerView,
    container_id: Option<String>,
    why: RemovalReason,
    detail: String,
) -> RunnerRemoval {
    RunnerRemoval {
        runner_id: Some(runner.id),
        container_id,
        why,
        detail,
        preconditions: vec![format!("runner {} has no running job", runner.id)],
    }
}

fn show(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "unknown".to_string(), |t| t.to_string())
}

/// A runner pool not planned.
pub(crate) fn held_runner_pool(
    name: &str,
    (status, reason): (PoolStatus, String),
) -> RunnerPoolPlan {
    RunnerPoolPlan {
        pool: name.to_string(),
        status,
        reason,
        numbers: None,
        starts: Vec::new(),
        removals: Vec::new(),
        runners: Vec::new(),
        schedule: None,
        docker_api: None,
        hosts: Vec::new(),
    }
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
