//! A runner pool's roll-out: which runners of ours run an outdated spec (their container's
//! `devicepool.spec` differs from the digest the pool renders now; a container without one is
//! an unknown spec, never outdated), how each generation fares, and the replacement pairs: a
//! start on the current spec, then the removal of an outdated idle runner, within the pool's
//! budgets (with `idle_only: false`, busy outdated runners are paused instead: `pause.rs`).
//! Pure; never removes a busy runner, never one the planner did not judge ours.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::config::RunnerPool;
use super::conventions::runner_name;
use super::judge::{container_failed, removal};
use super::model::{RemovalReason, RunnerPoolPlan, RunnerStart, RunnerState};
use super::pause::{add_pauses, count_in_flight};
use super::placement::plan_replacing;
use crate::load::Desired;
use crate::reconcilers::PoolStatus;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::rollout::{Fared, RolloutFacts, RolloutPlan, decide};
use crate::snapshot::{ContainerView, RunnerPoolState, RunnerView, Snapshot};

/// Decides every planned pool's roll-out (each canary pool's facts at hand) and plans again,
/// with their replacement pairs, those that replace runners.
pub(super) fn roll_out(desired: &Desired, snapshot: &Snapshot, plans: &mut [RunnerPoolPlan]) {
    let keyed = Ownership::of(desired).keyed();
    let state_of = |name: &str| match snapshot.runner_pools.get(name) {
        Some(Ok(state)) => Some(state),
        _ => None,
    };
    let facts: BTreeMap<String, RolloutFacts> = plans
        .iter()
        .filter_map(|plan| {
            let pool = desired.runner_pools.get(&plan.pool)?;
            let facts = rollout_facts(pool, state_of(&plan.pool)?, plan)?;
            Some((plan.pool.clone(), facts))
        })
        .collect();
    for plan in plans.iter_mut() {
        let (Some(pool), Some(own)) = (desired.runner_pools.get(&plan.pool), facts.get(&plan.pool))
        else {
            continue;
        };
        let canary = (pool.rollout.canary.as_ref())
            .and_then(|c| c.pool.as_deref())
            .map(|name| (name, facts.get(name)));
        let mut decided = decide(&pool.rollout, own.clone(), canary);
        let Some(state) = state_of(&plan.pool) else {
            plan.rollout = Some(decided);
            continue;
        };
        // Runners paused earlier and still busy keep their places in the step.
        let pausing = !pool.rollout.idle_only && decided.replace > 0;
        let in_flight = if pausing {
            count_in_flight(plan, state, &own.spec)
        } else {
            0
        };
        let (mut done, mut paused) = (0, 0);
        let wanted = decided.replace.saturating_sub(in_flight);
        if wanted > 0 {
            let at = (keyed, snapshot.taken_at);
            let mut again = plan_replacing(&plan.pool, pool, state, at, wanted);
            again.schedule = plan.schedule.take();
            again.schedule_period = plan.schedule_period.take();
            again.docker_api = plan.docker_api.take();
            done = pairs(&again);
            *plan = again;
        }
        if pausing {
            paused = add_pauses(plan, state, &own.spec, wanted.saturating_sub(done));
        }
        describe_step(&mut decided, done, (paused, in_flight));
        plan.rollout = Some(decided);
    }
}

/// Says what the roll-out's step came to: `done` replacement pairs, and with `idle_only:
/// false` the busy runners `paused` now and those paused earlier still busy (`in_flight`),
/// each holding a place in `max_per_run`; `replace` becomes the pairs.
fn describe_step(decided: &mut RolloutPlan, done: u32, (paused, in_flight): (u32, u32)) {
    if paused + in_flight > 0 {
        decided.reason.push_str(&format!(
            "; idle_only false: pausing {paused} busy outdated, {in_flight} paused earlier still busy"
        ));
    }
    if done + paused + in_flight < decided.replace {
        decided.reason.push_str(&format!(
            "; {done} of {} within the pool's start and removal budgets",
            decided.replace
        ));
    }
    decided.replace = done;
}

/// What `plan`'s roll-out stands on (planned with no replacement yet): `None` when the pool
/// is not planned or its spec did not render.
pub(super) fn rollout_facts(
    pool: &RunnerPool,
    state: &RunnerPoolState,
    plan: &RunnerPoolPlan,
) -> Option<RolloutFacts> {
    let current = pool
        .spec
        .clone()
        .filter(|_| plan.status == PoolStatus::Planned)?;
    let mut facts = RolloutFacts {
        spec: current.clone(),
        size: plan.runners.len() as u32,
        ..RolloutFacts::default()
    };
    for decision in &plan.runners {
        let Some(runner) = state.runners.iter().find(|r| r.id == decision.id) else {
            continue;
        };
        let container = container_of(state, runner.id);
        let spec = container.and_then(|c| c.spec.as_deref());
        let generation = if spec == Some(current.as_str()) {
            &mut facts.current
        } else {
            &mut facts.previous
        };
        tally(generation, runner, container, decision.state);
        if spec.is_some_and(|s| s != current) {
            let name = decision.description.split(' ').next().unwrap_or_default();
            facts.outdated.push(name.to_string());
            // A busy one is replaceable by pausing it first, when the policy allows.
            let busy = matches!(decision.state, RunnerState::Busy | RunnerState::BusyTooLong);
            if decision.state == RunnerState::Idle || (busy && !pool.rollout.idle_only) {
                facts.replaceable += 1;
            }
        }
    }
    Some(facts)
}

/// Counts one runner in its generation: proven once it contacted GitLab, failed when its
/// container exited, died or restarts in a loop, or GitLab sees it offline or stale, or the planner kept it as a
/// failure's evidence (never contacted past the grace, too).
fn tally(
    fared: &mut Fared,
    runner: &RunnerView,
    container: Option<&ContainerView>,
    judged: RunnerState,
) {
    let exited = container.is_some_and(container_failed);
    let offline = matches!(runner.status.as_str(), "offline" | "stale");
    fared.total += 1;
    fared.proven += u32::from(runner.contacted_at.is_some() && !exited);
    fared.failed += u32::from(exited || offline || judged == RunnerState::Failed);
}

fn container_of(state: &RunnerPoolState, id: u64) -> Option<&ContainerView> {
    state.containers.iter().find(|c| c.runner_id == Some(id))
}

/// Adds up to `replace` pairs to `plan` (oldest runner id first): a start on the current spec
/// naming the outdated idle runner it replaces, and that runner's removal. Within what
/// `max_starts_per_run`, `max_removals_per_run` and `max_remove_fraction` leave after the
/// plan's own starts and removals; each pair keeps the idle count (the start comes first), and
/// may take the pool past `max_runners` by the pairs in flight until their removals run.
pub(super) fn add_pairs(
    plan: &mut RunnerPoolPlan,
    pool: &RunnerPool,
    state: &RunnerPoolState,
    (now, replace): (Timestamp, u32),
) {
    let Some(current) = pool.spec.as_deref().filter(|_| replace > 0) else {
        return;
    };
    let runners = plan.runners.len() as u32;
    let runner_removals = plan
        .removals
        .iter()
        .filter(|r| r.runner_id.is_some())
        .count() as u32;
    let fraction_cap = (pool.max_remove_fraction * f64::from(runners)).ceil() as u32;
    let room = [
        pool.max_starts_per_run
            .saturating_sub(plan.starts.len() as u32),
        fraction_cap
            .min(pool.max_removals_per_run)
            .saturating_sub(runner_removals),
        pool.max_removals_per_run
            .saturating_sub(plan.removals.len() as u32),
        replace,
    ]
    .into_iter()
    .min()
    .unwrap_or(0);
    let mut added = 0;
    // Runners paused for the roll-out first: they take no job until replaced.
    let paused = |id: u64| (state.runners.iter()).any(|r| r.id == id && r.paused_for_rollout);
    let mut order: Vec<usize> = (0..plan.runners.len()).collect();
    order.sort_by_key(|&i| !paused(plan.runners[i].id));
    for i in order {
        if added == room {
            break;
        }
        let decision = &mut plan.runners[i];
        let runner = state.runners.iter().find(|r| r.id == decision.id);
        let container = container_of(state, decision.id);
        let old = container.and_then(|c| c.spec.as_deref());
        let (Some(runner), Some(container), Some(old)) = (runner, container, old) else {
            continue;
        };
        if decision.state != RunnerState::Idle || old == current {
            continue;
        }
        let ordinal = plan.starts.len() as u32 + 1;
        let name = runner_name(&plan.pool, now.as_second(), ordinal);
        let detail = format!("outdated spec {old}: replaced by {name} (spec {current})");
        let mut gone = removal(
            runner,
            Some(container.id.clone()),
            RemovalReason::Outdated,
            detail,
        );
        gone.preconditions
            .push(format!("its replacement {name} started"));
        plan.removals.push(gone);
        plan.starts.push(RunnerStart {
            name,
            tags: pool.tags.clone(),
            container_spec: String::new(),
            replaces: Some(runner.id),
        });
        decision.state = RunnerState::Remove;
        decision
            .detail
            .push_str(&format!("; outdated spec {old}: replaced"));
        added += 1;
    }
    if added == 0 {
        return;
    }
    if let Some(n) = plan.numbers.as_mut() {
        n.starts += added;
        n.removals += added;
    }
    plan.reason.push_str(&format!(
        "; replacing {added} outdated (start new, then remove old)"
    ));
}

/// How many replacement pairs `plan` holds.
pub(super) fn pairs(plan: &RunnerPoolPlan) -> u32 {
    plan.starts.iter().filter(|s| s.replaces.is_some()).count() as u32
}

/// Drops the removal of every outdated runner whose replacement start is no longer in `plan`
/// (clipped, dropped by a host's room, or not selected from a saved plan), keeping the runner
/// and saying `why`; a replacement is never removed without its start. The runners kept.
pub(crate) fn unpair(plan: &mut RunnerPoolPlan, why: &str) -> Vec<u64> {
    let replaced: Vec<u64> = plan.starts.iter().filter_map(|s| s.replaces).collect();
    let lone: Vec<u64> = plan
        .removals
        .iter()
        .filter(|r| r.why == RemovalReason::Outdated)
        .filter_map(|r| r.runner_id)
        .filter(|id| !replaced.contains(id))
        .collect();
    for id in &lone {
        keep_outdated(plan, *id, why);
    }
    lone
}

/// Drops the last replacement pair of `plan` (its start and its removal), keeping the outdated
/// runner and saying `why`; false when it has none.
pub(super) fn drop_last_pair(plan: &mut RunnerPoolPlan, why: &str) -> bool {
    let Some(at) = plan.starts.iter().rposition(|s| s.replaces.is_some()) else {
        return false;
    };
    let start = plan.starts.remove(at);
    for host in &mut plan.hosts {
        host.starts.retain(|s| *s != start.name);
    }
    if let Some(n) = plan.numbers.as_mut() {
        n.starts = n.starts.saturating_sub(1);
    }
    keep_outdated(plan, start.replaces.unwrap_or_default(), why);
    true
}

/// Takes runner `id`'s outdated removal out of `plan`: the runner stays, idle.
fn keep_outdated(plan: &mut RunnerPoolPlan, id: u64, why: &str) {
    let before = plan.removals.len();
    let mut container = None;
    plan.removals.retain(|r| {
        let hit = r.why == RemovalReason::Outdated && r.runner_id == Some(id);
        if hit {
            container = r.container_id.clone();
        }
        !hit
    });
    if plan.removals.len() == before {
        return;
    }
    for host in &mut plan.hosts {
        host.removals.retain(|c| Some(c) != container.as_ref());
    }
    if let Some(n) = plan.numbers.as_mut() {
        n.removals = n.removals.saturating_sub(1);
    }
    if let Some(decision) = plan.runners.iter_mut().find(|d| d.id == id) {
        decision.state = RunnerState::Kept;
        decision.detail.push_str(&format!("; kept: {why}"));
    }
    if let Some(rollout) = plan.rollout.as_mut() {
        rollout.replace = rollout.replace.saturating_sub(1);
    }
}

#[cfg(test)]
#[path = "replace_tests.rs"]
pub(super) mod tests;
