//! One runner of ours at a time: busy (or busy too long), left alone, gone past the grace,
//! due for recycling, or idle. Pure: the runner, its container and the pool's limits in, a
//! decision out; it never looks at budgets or at other runners.

use jiff::{SignedDuration, Timestamp};

use super::config::RunnerPool;
use super::model::{RemovalReason, RunnerDecision, RunnerRemoval, RunnerState, RunnerThresholds};
use crate::snapshot::{ContainerView, RunnerPoolState, RunnerView};

/// What each runner is compared against: the pool's spans, `now`, and whether an ownership
/// key is set.
pub(super) struct Limits {
    pub(super) now: Timestamp,
    pub(super) keyed: bool,
    grace: SignedDuration,
    pub(super) cooldown: SignedDuration,
    job_duration: SignedDuration,
    max_age: Option<SignedDuration>,
    max_jobs: Option<u32>,
    /// The spec the pool renders now, when its roll-out pauses on failures: a runner on it
    /// that failed is kept as evidence while outdated runners remain.
    pause_spec: Option<String>,
    /// The spec the pool renders now: a runner paused for a roll-out is outdated against it.
    spec: Option<String>,
}

impl Limits {
    pub(super) fn of(pool: &RunnerPool, keyed: bool, now: Timestamp) -> Limits {
        let span =
            |d: std::time::Duration| SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX);
        Limits {
            now,
            keyed,
            grace: span(pool.offline_grace),
            cooldown: span(pool.idle_cooldown),
            job_duration: span(pool.max_job_duration),
            max_age: pool.max_runner_age.map(span),
            max_jobs: pool.max_jobs_per_runner,
            pause_spec: pool.spec.clone().filter(|_| pool.rollout.pause_on_failures),
            spec: pool.spec.clone(),
        }
    }

    /// Whether `at` is known and at least `span` ago.
    pub(super) fn older_than(&self, at: Option<Timestamp>, span: SignedDuration) -> bool {
        at.is_some_and(|t| self.now.duration_since(t) >= span)
    }

    /// The limits as the plan shows them.
    pub(super) fn shown(&self) -> RunnerThresholds {
        RunnerThresholds {
            idle_cooldown: friendly(self.cooldown),
            offline_grace: friendly(self.grace),
            max_job_duration: friendly(self.job_duration),
            max_jobs_per_runner: self.max_jobs,
            max_runner_age: self.max_age.map(friendly),
        }
    }
}

/// A span as the desired state writes it (`5m`, `3h`, `1h 30m`).
pub(super) fn friendly(span: SignedDuration) -> String {
    format!("{span:#}")
}

/// Every runner of ours, judged: the decisions and what they add up to.
#[derive(Default)]
pub(super) struct Judged<'a> {
    pub(super) decisions: Vec<RunnerDecision>,
    /// Offline, stale, without a running container past the grace, or paused by an earlier
    /// removal.
    pub(super) gone: Vec<RunnerRemoval>,
    /// Idle after `max_jobs_per_runner` jobs or past `max_runner_age`.
    pub(super) recycle: Vec<RunnerRemoval>,
    /// Idle runners and since when.
    pub(super) idle: Vec<(&'a RunnerView, Option<Timestamp>)>,
    pub(super) busy: u32,
    pub(super) busy_too_long: u32,
    pub(super) left_alone: u32,
    /// Failed on the current spec, kept as the roll-out's evidence.
    pub(super) failed: u32,
}

/// Judges every runner of `state`, in id order.
pub(super) fn judge_runners<'a>(state: &'a RunnerPoolState, limits: &Limits) -> Judged<'a> {
    let mut runners: Vec<&RunnerView> = state.runners.iter().collect();
    runners.sort_by_key(|r| r.id);
    let mut judged = Judged::default();
    let evidence = rolling_spec(state, limits);
    for runner in runners {
        let container = state
            .containers
            .iter()
            .find(|c| c.runner_id == Some(runner.id));
        let (runner_state, detail) = match evidence.filter(|_| failed_on(runner, container, limits))
        {
            Some(spec) => {
                judged.failed += 1;
                (
                    RunnerState::Failed,
                    evidence_detail(runner, container, spec),
                )
            }
            None => judge_runner(runner, container, limits, &mut judged),
        };
        judged.decisions.push(RunnerDecision {
            id: runner.id,
            description: runner.description.clone(),
            state: runner_state,
            detail,
        });
    }
    judged
}

fn judge_runner<'a>(
    runner: &'a RunnerView,
    container: Option<&ContainerView>,
    limits: &Limits,
    judged: &mut Judged<'a>,
) -> (RunnerState, String) {
    let container_id = container.map(|c| c.id.clone());
    let last_sign = runner.contacted_at.or(runner.created_at);
    let past_grace = limits.older_than(last_sign, limits.grace);
    if runner.running_jobs > 0 {
        judged.busy += 1;
        return judge_busy(runner, limits, judged);
    }
    if runner.paused && !runner.paused_for_removal && !runner.paused_for_rollout {
        // Someone paused it (to debug it, say): theirs to resume or delete. It takes no
        // job, so it is no capacity either.
        judged.left_alone += 1;
        return (
            RunnerState::LeftAlone,
            "paused by someone else; left alone".to_string(),
        );
    }
    if limits.keyed && container.is_none() {
        // A description, MAC and all, can be copied onto anyone's runner: with a key, only
        // a runner our container on this host serves is ours to pause and delete.
        judged.left_alone += 1;
        return (
            RunnerState::LeftAlone,
            "no container of ours on this host serves it: with an ownership key it is not removed (delete it by hand if it is ours)".to_string(),
        );
    }
    let (why, detail, state_detail) = if runner.paused && runner.paused_for_rollout {
        let spec = container.and_then(|c| c.spec.as_deref());
        let outdated = spec.is_some_and(|s| limits.spec.as_deref().is_some_and(|c| c != s));
        let idle_since = runner.last_finished_at.or(runner.created_at);
        if outdated {
            // Idle now: the roll-out replaces it (start new, then remove old).
            judged.idle.push((runner, idle_since));
            let detail = format!("paused for roll-out, idle since {}", show(idle_since));
            return (RunnerState::Idle, detail);
        }
        // Its spec is current again (put back): it takes no job, so it goes.
        let detail = "paused for a roll-out its spec no longer needs".to_string();
        (
            RemovalReason::Offline,
            detail,
            "paused for roll-out, spec current".to_string(),
        )
    } else if runner.paused {
        // Paused with our maintenance note: an earlier removal was cut short.
        let detail = "paused by an earlier, unfinished removal".to_string();
        (RemovalReason::Offline, detail, "paused".to_string())
    } else if matches!(
        runner.status.as_str(),
        "offline" | "stale" | "never_contacted"
    ) && past_grace
    {
        let detail = format!("{} since {}", runner.status, show(last_sign));
        let state_detail = format!("{} past offline_grace", runner.status);
        (RemovalReason::Offline, detail, state_detail)
    } else if container.is_none_or(|c| c.state != "running") && past_grace {
        let what = container.map_or("no container".to_string(), |c| {
            format!("container {}", c.state)
        });
        let state_detail = format!("{what} past offline_grace");
        (RemovalReason::ContainerGone, what, state_detail)
    } else if let Some(why) = recycle_reason(runner, limits) {
        judged.recycle.push(removal(
            runner,
            container_id,
            RemovalReason::Recycle,
            why.clone(),
        ));
        return (RunnerState::Remove, why);
    } else {
        let idle_since = runner.last_finished_at.or(runner.created_at);
        judged.idle.push((runner, idle_since));
        return (
            RunnerState::Idle,
            format!("idle since {}", show(idle_since)),
        );
    };
    judged.gone.push(removal(runner, container_id, why, detail));
    (RunnerState::Remove, state_detail)
}

/// The spec failures are kept as evidence of: the current one, while `pause_on_failures`
/// holds and a runner of ours still runs another (the roll-out lasts). `None` otherwise, so a
/// converged pool replaces a crashed runner as always.
fn rolling_spec<'a>(state: &RunnerPoolState, limits: &'a Limits) -> Option<&'a str> {
    let current = limits.pause_spec.as_deref()?;
    let outdated = state.runners.iter().any(|r| {
        let container = state.containers.iter().find(|c| c.runner_id == Some(r.id));
        container
            .and_then(|c| c.spec.as_deref())
            .is_some_and(|s| s != current)
    });
    outdated.then_some(current)
}

/// Whether a runner failed on the spec `limits` pauses on: idle (no running job), not paused,
/// its container on that spec and exited or dead, or GitLab seeing it offline or stale, or
/// never contacted past `offline_grace`.
fn failed_on(runner: &RunnerView, container: Option<&ContainerView>, limits: &Limits) -> bool {
    let Some(container) = container.filter(|c| c.spec == limits.pause_spec) else {
        return false;
    };
    let exited = container_failed(container);
    let silent = match runner.status.as_str() {
        "offline" | "stale" => true,
        "never_contacted" => limits.older_than(runner.created_at, limits.grace),
        _ => false,
    };
    runner.running_jobs == 0 && !runner.paused && (exited || silent)
}

/// Whether a container shows its process failed: exited, dead, or crash-looping under a
/// restart policy (`restarting`).
pub(super) fn container_failed(container: &ContainerView) -> bool {
    matches!(container.state.as_str(), "exited" | "dead" | "restarting")
}

/// What the plan says of a failed runner kept as evidence.
fn evidence_detail(runner: &RunnerView, container: Option<&ContainerView>, spec: &str) -> String {
    let what = match container.map(|c| c.state.as_str()) {
        Some(state @ ("exited" | "dead" | "restarting")) => format!("container {state}"),
        _ => runner.status.clone(),
    };
    format!(
        "{what} on the new spec {spec}: kept as the roll-out's evidence (pause_on_failures), not capacity; it goes once the spec changes or its container is removed by hand"
    )
}

/// A busy runner: never removed; flagged when its oldest running job has run past
/// `max_job_duration`.
fn judge_busy(
    runner: &RunnerView,
    limits: &Limits,
    judged: &mut Judged<'_>,
) -> (RunnerState, String) {
    let running = format!("{} job(s) running", runner.running_jobs);
    let Some(since) = runner.running_since else {
        return (RunnerState::Busy, running);
    };
    let ran = limits.now.duration_since(since);
    if ran <= limits.job_duration {
        return (RunnerState::Busy, running);
    }
    judged.busy_too_long += 1;
    let job = runner
        .oldest_running_job
        .map_or("a job".to_string(), |id| format!("job {id}"));
    (
        RunnerState::BusyTooLong,
        format!(
            "{job} running for {}, longer than max_job_duration {}: stuck or slow, never removed (look at it)",
            friendly(ran.round(jiff::Unit::Minute).unwrap_or(ran)),
            friendly(limits.job_duration)
        ),
    )
}

/// Why an idle runner is due for recycling, if it is.
fn recycle_reason(runner: &RunnerView, limits: &Limits) -> Option<String> {
    if let Some(max) = limits.max_jobs.filter(|max| runner.jobs_run >= *max) {
        return Some(format!(
            "ran {} job(s), max_jobs_per_runner {max}: recycled",
            runner.jobs_run
        ));
    }
    let max = limits.max_age?;
    limits.older_than(runner.created_at, max).then(|| {
        format!(
            "registered {}, past max_runner_age {}: recycled",
            show(runner.created_at),
            friendly(max)
        )
    })
}

/// The removal of one runner (and its container, if any).
pub(super) fn removal(
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

/// A time as the plan shows it, `unknown` when GitLab gave none.
pub(super) fn show(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "unknown".to_string(), |t| t.to_string())
}
