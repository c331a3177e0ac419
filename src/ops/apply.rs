//! `devicepool apply`: take the lock, plan afresh (or re-check a saved plan against a fresh
//! snapshot), ask on a terminal, then carry out every kept action of every kind (`apply`)
//! and print the report: what was done, failed, skipped or held.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{Context, bail};

use super::metrics_file::Observed;
use super::plan::make_plan;
use super::prepare::Prepared;
use crate::apply::ApplyReport;
use crate::cli::{ApplyArgs, ApplyFormat};
use crate::exit::Exit;
use crate::lock::RunLock;
use crate::lock::lease::{Fence, Lease};
use crate::plan::{Drift, PLAN_FORMAT, Plan, Recheck, recheck};
use crate::reconcilers::Run;
use crate::report;

/// Applies; the fresh plan and the report are also kept in `observed` as soon as they are
/// made, for `--metrics-file`.
pub(super) fn run(
    args: &ApplyArgs,
    env: &dyn Fn(&str) -> Option<String>,
    observed: &mut Observed,
) -> anyhow::Result<Exit> {
    let partition = args.partition.partition();
    let purpose = crate::load::Purpose::Launch;
    let prepared = super::prepare::prepare(&args.config.config, env, purpose, &partition)?;
    observed.fleet = Some(prepared.loaded.desired.settings.fleet.clone());
    let state_dir = prepared.loaded.state_dir(env);
    // A saved plan is refused before the lock is even taken.
    let saved = args
        .plan
        .as_deref()
        .map(|p| read_saved(p, &prepared))
        .transpose()?;
    let wait = args.wait_lock.unwrap_or_default();
    let waiting_since = std::time::Instant::now();
    let lock = RunLock::acquire_waiting(&state_dir, wait)?;
    // Under the lease the file lock is still taken: it fences this host's launched CLIs.
    // --wait-lock is one budget for both: what the file lock took is not waited again.
    let wait_left = wait.saturating_sub(waiting_since.elapsed());
    let lease = super::lock::take_lease(&prepared.loaded, env, wait_left)?;
    lock.settle(longest_timeout(&prepared.loaded.desired))?;
    if let Some(lease) = &lease {
        observed.shared_last_success = lease.previous.last_success_at.map(|t| t.as_second());
        settle_lease(lease);
    }
    let leftovers = crate::apply::remove_leftover_job_dirs(&state_dir.join("jobs"), &lock)?;
    if leftovers > 0 {
        tracing::warn!(
            count = leftovers,
            "removed job directories left by a killed run (their job files held secrets)"
        );
    }
    let fresh = make_plan(&prepared);
    observed.plan = Some(fresh.clone());
    // Without a saved plan, the fresh plan selects itself.
    let Recheck { kept, drifted } = recheck(saved.as_ref().unwrap_or(&fresh), &fresh);
    // Nothing to do is not a question: the run goes on and reports what it skipped.
    let ask = !args.yes && kept.action_count() > 0 && std::io::stdin().is_terminal();
    let confirmed = if ask {
        confirm(&kept, &drifted)
    } else {
        Ok(true)
    };
    if !matches!(confirmed, Ok(true)) {
        // Nothing was started: the lease goes back at once rather than after its TTL.
        if let Some(lease) = lease {
            lease.release(false);
        }
        // Like Terraform: a refusal is exit 1, so a wrapper never takes it for a done apply.
        if let Ok(false) = confirmed {
            eprintln!("Apply cancelled; nothing was started.");
        }
        return confirmed.map(|_| Exit::Error);
    }
    let fence = lease.as_ref().map(Lease::fence);
    let mut report = carry_out(&prepared, kept, drifted, &state_dir, Some(&lock), fence);
    if args.verify {
        // What apply promises, checked on the fleet as it is now, not as the plan saw it.
        let now = super::plan::read_snapshot(&prepared);
        let desired = &prepared.loaded.desired;
        let (broken, mut notes) =
            crate::reconcilers::verify_every_kind(desired, &now, &report.actions);
        // Whether a removed runner was busy: asked of GitLab only when one was removed.
        let gitlab =
            crate::snapshot::read::Readers::new(desired, &prepared.secrets.redactor).gitlab;
        notes.extend(
            crate::reconcilers::runner_pools::busy_removed::note_busy_removals(
                desired,
                &gitlab,
                &prepared.secrets.read.gitlab_token,
                &report.actions,
            ),
        );
        report.verified = Some(broken);
        report.verify_notes = notes;
    }
    crate::report::emit(&match args.format {
        ApplyFormat::Text => report::apply_text(&report),
        ApplyFormat::Json => report::json(&report),
        ApplyFormat::Html => report::html::apply_html(&report),
    });
    let mut exit = apply_exit(&report);
    if let Some(lease) = lease {
        if let Some(why) = lease.fence().lost() {
            eprintln!("devicepool: {why}; no mutation was started after that");
            exit = exit.worst(Exit::Partial);
        }
        lease.release(exit == Exit::Clean);
    }
    observed.report = Some(report);
    Ok(exit)
}

/// Waits for the mutations of a previous holder of the lease that did not finish (killed,
/// or its host lost) to land before this run reads the fleet: the kill -9 wait, from any
/// host.
fn settle_lease(lease: &Lease) {
    let wait = lease.settle_wait();
    if wait.is_zero() {
        return;
    }
    tracing::warn!(
        wait_ms = wait.as_millis() as u64,
        "an earlier holder of the lease did not finish while its requests were on their way; waiting for them to land before reading the fleet"
    );
    std::thread::sleep(wait);
}

/// The longest any request of this configuration may take: how long a killed run's last
/// request may still be on its way.
fn longest_timeout(desired: &crate::load::Desired) -> std::time::Duration {
    desired
        .sources
        .timeouts()
        .into_iter()
        .filter_map(|(_, timeout)| timeout)
        .fold(desired.settings.http.timeout, std::cmp::max)
}

/// Carries out `kept` with the prepared clients and secrets; `lock` is absent only in the demo.
pub(super) fn carry_out(
    prepared: &Prepared,
    kept: Plan,
    drifted: Vec<Drift>,
    state_dir: &Path,
    lock: Option<&RunLock>,
    fence: Option<std::sync::Arc<Fence>>,
) -> ApplyReport {
    let run = Run {
        loaded: &prepared.loaded,
        templates: &prepared.templates,
        credentials: &prepared.secrets.read,
        tokens: &prepared.secrets.tokens,
        redactor: &prepared.secrets.redactor,
        state_dir,
        lock,
        sends: lock.map(|lock| {
            let timeout = longest_timeout(&prepared.loaded.desired);
            lock.send_log().fenced_by(fence, timeout)
        }),
        now: super::clock::real_now(),
    };
    crate::apply::carry_out(&run, kept, drifted)
}

/// The exit code an apply calls for.
pub(super) fn apply_exit(report: &ApplyReport) -> Exit {
    let mut exit = Exit::Clean;
    if !report.held.is_empty() {
        exit = Exit::Held;
    }
    if report.failed() > 0 {
        exit = exit.worst(Exit::Partial);
    }
    if report
        .verified
        .as_ref()
        .is_some_and(|broken| !broken.is_empty())
    {
        exit = exit.worst(Exit::Broken);
    }
    exit
}

/// A saved plan's text → the plan, if it is one in the format this devicepool reads. Pure:
/// the fuzz target `saved_plan` feeds it directly.
pub fn parse_saved_plan(text: &str) -> anyhow::Result<Plan> {
    // The format first: a plan of another format fails on its fields, which says less.
    #[derive(serde::Deserialize)]
    struct Versioned {
        format: u32,
    }
    let versioned: Versioned = serde_json::from_str(text).context("not a devicepool plan")?;
    if versioned.format != PLAN_FORMAT {
        bail!(
            "plan format {} is not supported (this devicepool reads format {PLAN_FORMAT}). Make a new plan.",
            versioned.format
        );
    }
    serde_json::from_str(text).context("not a devicepool plan")
}

/// Reads a saved plan file: bounded, a regular file, in the format this devicepool reads.
pub(super) fn read_plan_file(path: &Path) -> anyhow::Result<Plan> {
    let text = crate::load::read_input(path)
        .with_context(|| format!("cannot read the saved plan {}", path.display()))?;
    parse_saved_plan(&text).with_context(|| path.display().to_string())
}

fn read_saved(path: &Path, prepared: &Prepared) -> anyhow::Result<Plan> {
    let plan = read_plan_file(path)?;
    if plan.replayed {
        bail!(
            "{} was planned from a recorded snapshot (plan --from-snapshot): it is for review only. Make a plan from the live fleet.",
            path.display()
        );
    }
    if let Some(at) = plan.preview_at {
        bail!(
            "{} is a preview of the schedules at {at} (DEVICEPOOL_NOW): it is for review only. Make a plan without DEVICEPOOL_NOW.",
            path.display()
        );
    }
    if plan.config_hash != prepared.loaded.hash {
        bail!(
            "{} was made from another desired state ({} {}); {} is {} now. Make a new plan.",
            path.display(),
            report::escape_text(&plan.config_path, false),
            report::escape_text(&plan.config_hash, false),
            prepared.loaded.path.display(),
            prepared.loaded.hash
        );
    }
    check_fresh(
        &plan,
        path,
        &prepared.loaded.desired,
        super::clock::real_now(),
    )?;
    Ok(plan)
}

/// Refuses a saved plan whose snapshot is older than the current desired state's
/// `settings.plan_lifetime`, or in the future. The file's own `expires_at` is not trusted.
fn check_fresh(
    plan: &Plan,
    path: &Path,
    desired: &crate::load::Desired,
    now: jiff::Timestamp,
) -> anyhow::Result<()> {
    let shown_now = now.round(jiff::Unit::Second).unwrap_or(now);
    if plan.snapshot_at > now {
        bail!(
            "{}: its snapshot is dated {}, after now ({shown_now}). Make a new plan.",
            path.display(),
            plan.snapshot_at
        );
    }
    let expires_at = jiff::SignedDuration::try_from(desired.settings.plan_lifetime)
        .ok()
        .and_then(|lifetime| plan.snapshot_at.checked_add(lifetime).ok())
        .unwrap_or(plan.snapshot_at);
    if now > expires_at {
        bail!(
            "{} expired at {expires_at} (snapshot {} + settings.plan_lifetime; it is {shown_now} now). Make a new plan.",
            path.display(),
            plan.snapshot_at
        );
    }
    Ok(())
}

/// Shows what will run after the re-check, and what will not, and asks for `yes` on the
/// terminal.
fn confirm(kept: &Plan, drifted: &[Drift]) -> anyhow::Result<bool> {
    eprint!("{}", report::plan_text(kept));
    for drift in drifted {
        eprintln!(
            "  skipped {} {}: {}",
            report::escape_text(&drift.pool, false),
            report::escape_text(&drift.target, false),
            report::escape_text(&drift.reason, false)
        );
    }
    eprint!("{}", phrase_question(kept));
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// The confirmation question: every kind of action that would happen, with its count.
fn phrase_question(kept: &Plan) -> String {
    let listed: Vec<String> = crate::reconcilers::tally_every_kind(kept)
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    let actions = if listed.is_empty() {
        "nothing to start, deploy or remove".to_string()
    } else {
        listed.join(", ")
    };
    format!("Apply this plan ({actions})? Only 'yes' is accepted: ")
}

#[cfg(test)]
#[path = "apply_tests.rs"]
mod tests;
