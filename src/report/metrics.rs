//! One run in the Prometheus textfile-collector format (`--metrics-file`): per pool, per API,
//! per action and per run, each family with HELP and TYPE lines. Formatting only: the facts
//! come in. Label values are only kind, action and outcome words, pool names, API names, the
//! schedule periods of the desired state (number, cron, zone) and the partition the operator
//! chose on the command line; never a URL, a credential or a message.

use std::collections::BTreeMap;
use std::fmt::Write;

use jiff::Timestamp;

#[path = "metrics_previous.rs"]
mod previous;

pub use previous::{CARRIED, Previous, previous, previous_pushed};
use previous::{HELD_RUNS, LAST_COMPLETED, LAST_SUCCESS};

use crate::apply::ApplyReport;
use crate::clients::request_stats::ApiStats;
use crate::exit::Exit;
use crate::plan::{Plan, PoolStatus, word_of};
use crate::reconcilers::record::{Kind, Outcome};
use crate::reconcilers::schedule::PeriodInEffect;

/// Every API the HTTP layers may count, shown even when this run sent it nothing, so each
/// series stays put from run to run.
const APIS: [&str; 7] = [
    "taskcluster",
    "lambdatest",
    "maas",
    "testflinger",
    "gitlab",
    "docker",
    crate::clients::pushgateway::API,
];

/// What one run saw and did.
pub struct RunFacts<'a> {
    /// Which part of the estate the run covered (`--pool`, `--exclude-pool`), or `all`.
    pub partition: &'a str,
    /// The plan made from the snapshot (absent when the run stopped before it).
    pub plan: Option<&'a Plan>,
    /// What `apply` did.
    pub report: Option<&'a ApplyReport>,
    /// Requests per API.
    pub apis: &'a BTreeMap<&'static str, ApiStats>,
    pub exit: Exit,
    pub now: Timestamp,
}

/// One metric family being written.
struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<(String, String)>,
}

impl Family {
    fn new(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            samples: Vec::new(),
        }
    }

    fn add(&mut self, labels: String, value: impl ToString) {
        self.samples.push((labels, value.to_string()));
    }
}

/// A label set, values escaped as the exposition format wants.
fn labels(pairs: &[(&str, &str)]) -> String {
    let shown: Vec<String> = pairs
        .iter()
        .map(|(name, value)| {
            let escaped = value
                .replace('\\', r"\\")
                .replace('"', "\\\"")
                .replace('\n', r"\n");
            format!("{name}=\"{escaped}\"")
        })
        .collect();
    format!("{{{}}}", shown.join(","))
}

/// A pool's work: (pending, free, in flight), when it was planned.
fn workload(plan: &Plan) -> BTreeMap<&str, (u64, u64, u64)> {
    plan.entries()
        .filter_map(|e| e.workload().map(|work| (e.name(), work)))
        .collect()
}

/// The whole file.
pub fn metrics_text(facts: &RunFacts<'_>, previous: &Previous) -> String {
    let partition = facts.partition;
    let mut families = pool_families(facts, previous);
    families.push(busy_too_long_family(facts));
    families.push(schedule_family(facts));
    families.extend(api_families(facts));
    let mut actions = Family::new(
        "devicepool_last_run_actions",
        "Actions of the last apply, by kind, action and outcome.",
    );
    let mut counted: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for record in facts.report.iter().flat_map(|r| &r.actions) {
        let key = (
            word_of(&record.kind),
            word_of(&record.action),
            word_of(&record.outcome),
        );
        *counted.entry(key).or_default() += 1;
    }
    for ((kind, action, outcome), count) in counted {
        let set = [
            ("partition", partition),
            ("kind", kind.as_str()),
            ("action", action.as_str()),
            ("outcome", outcome.as_str()),
        ];
        actions.add(labels(&set), count);
    }
    families.push(actions);
    let run = labels(&[("partition", partition)]);
    let now = facts.now.as_second();
    let succeeded = matches!(facts.exit, Exit::Clean | Exit::Changes);
    let last_success = if succeeded {
        Some(now)
    } else {
        previous.last_success
    };
    // A held pool has its own series and alert: a run that held some is still a run that
    // handled every pool it could.
    let completed = succeeded || facts.exit == Exit::Held;
    let last_completed = if completed {
        Some(now)
    } else {
        // A success is a completed run too (a file written before this series had only it).
        previous.last_completed.max(last_success)
    };
    let mut last_run = Family::new(
        "devicepool_last_run_timestamp_seconds",
        "When the last run ended, in Unix time.",
    );
    last_run.add(run.clone(), now);
    let mut exit = Family::new(
        "devicepool_last_run_exit_code",
        "Exit code of the last run (0 and 2 are success; see the README).",
    );
    exit.add(run.clone(), facts.exit as u8);
    let mut success = Family::new(
        LAST_SUCCESS,
        "When the last successful run (exit 0 or 2) ended, in Unix time; 0 when none is known.",
    );
    success.add(run.clone(), last_success.unwrap_or(0));
    let mut completed = Family::new(
        LAST_COMPLETED,
        "When the last run that ended with exit 0, 2 or 4 (every pool planned or held on its \
         own) ended, in Unix time; 0 when none is known.",
    );
    completed.add(run, last_completed.unwrap_or(0));
    families.extend([last_run, exit, success, completed]);
    let mut out = String::new();
    for family in families.iter().filter(|f| !f.samples.is_empty()) {
        let _ = writeln!(out, "# HELP {} {}", family.name, family.help);
        let _ = writeln!(out, "# TYPE {} gauge", family.name);
        for (labels, value) in &family.samples {
            let _ = writeln!(out, "{}{labels} {value}", family.name);
        }
    }
    out
}

/// Per pool, rack and runner pool: its work, its actions and whether it is held. Without a
/// plan, only the held-run counts carry on unchanged.
fn pool_families(facts: &RunFacts<'_>, previous: &Previous) -> Vec<Family> {
    let mut pending = Family::new(
        "devicepool_pool_pending",
        "Work waiting for the pool: a device pool's pending tasks not covered by a job of ours \
         (waiting, or running and not yet claimed), a rack's machines due for a deploy, a runner \
         pool's pending jobs.",
    );
    let mut free = Family::new(
        "devicepool_pool_free",
        "Capacity ready for work: a device pool's free devices (a grouped pool's share of its \
         group's), a rack's machines with a waiting agent, a runner pool's idle runners.",
    );
    let mut in_flight = Family::new(
        "devicepool_pool_in_flight",
        "Work of ours under way: a device pool's devices with a job of its own in flight, a \
         rack's machines with a deploy in flight, a runner pool's busy runners.",
    );
    let mut planned = Family::new(
        "devicepool_pool_actions_planned",
        "Actions the last run planned for the pool (jobs, deploys, runner starts and removals).",
    );
    let mut done = Family::new(
        "devicepool_pool_actions_done",
        "Actions the last apply carried out for the pool.",
    );
    let mut held = Family::new(
        "devicepool_pool_held",
        "1 when the pool was held in the last run (a source it needs failed), else 0.",
    );
    let mut disabled = Family::new(
        "devicepool_pool_disabled",
        "1 when the pool is switched off in the desired state, else 0.",
    );
    let mut items = Family::new(
        "devicepool_pool_items",
        "The pool's devices, machines or runners in each state the last plan gave them.",
    );
    let mut waited = Family::new(
        "devicepool_pool_oldest_pending_seconds",
        "How long the pool's oldest waiting work has waited: a device pool's oldest pending task \
         (Taskcluster listPendingTasks), a runner pool's oldest pending job, a rack's machine \
         longest due for a deploy. Absent when nothing waits or it could not be read.",
    );
    let mut outdated = Family::new(
        "devicepool_pool_outdated",
        "The pool's runners, machines or in-flight jobs on a spec other than the one the desired \
         state renders now (a roll-out under way). Absent when the pool was not planned.",
    );
    let mut held_runs = Family::new(
        HELD_RUNS,
        "Runs in a row, up to the last one, in which the pool was held.",
    );
    let Some(plan) = facts.plan else {
        for (set, runs) in &previous.held_runs {
            held_runs.add(set.clone(), runs);
        }
        return vec![held_runs];
    };
    let work = workload(plan);
    let states = super::item_states::count_item_states(plan);
    for entry in plan.entries() {
        let kind = word_of(&entry.kind());
        let name = entry.name();
        let set = labels(&[
            ("partition", facts.partition),
            ("kind", &kind),
            ("pool", name),
        ]);
        if let Some((p, f, i)) = work.get(name) {
            pending.add(set.clone(), p);
            free.add(set.clone(), f);
            in_flight.add(set.clone(), i);
        }
        if let Some(since) = entry.oldest_pending_since() {
            let seconds = facts.now.duration_since(since).as_secs().max(0);
            waited.add(set.clone(), seconds);
        }
        if let Some(rollout) = entry.rollout() {
            outdated.add(set.clone(), rollout.outdated.len());
        }
        planned.add(set.clone(), entry.action_count());
        if let Some(report) = facts.report {
            let of_entry = report
                .actions
                .iter()
                .filter(|a| a.kind == entry.kind() && a.pool == name && a.outcome == Outcome::Done);
            done.add(set.clone(), of_entry.count());
        }
        let is_held = matches!(entry.status(), PoolStatus::Held { .. });
        let runs = if is_held {
            previous.held_runs.get(&set).copied().unwrap_or(0) + 1
        } else {
            0
        };
        held.add(set.clone(), u8::from(is_held));
        let is_disabled = *entry.status() == PoolStatus::Disabled;
        disabled.add(set.clone(), u8::from(is_disabled));
        held_runs.add(set, runs);
        for (state, count) in states
            .get(&(kind.clone(), name.to_string()))
            .into_iter()
            .flatten()
        {
            let set = [
                ("partition", facts.partition),
                ("kind", kind.as_str()),
                ("pool", name),
                ("state", state.as_str()),
            ];
            items.add(labels(&set), count);
        }
    }
    vec![
        pending, free, in_flight, waited, planned, done, held, disabled, held_runs, items, outdated,
    ]
}

/// Per runner pool read: its runners whose job has run past `max_job_duration` (flagged,
/// never removed), 0 when none, so an alert can watch it.
fn busy_too_long_family(facts: &RunFacts<'_>) -> Family {
    let mut family = Family::new(
        "devicepool_runner_pool_busy_too_long",
        "Runners of the pool whose job has run longer than max_job_duration (never removed: look at them).",
    );
    let pools = facts
        .plan
        .map(|p| p.runner_pools.as_slice())
        .unwrap_or_default();
    for pool in pools {
        if let Some(n) = pool.numbers {
            let set = labels(&[("partition", facts.partition), ("pool", &pool.pool)]);
            family.add(set, n.busy_too_long);
        }
    }
    family
}

/// Per device pool and runner pool planned: the schedule period in effect (`none` when no
/// period is), so a dashboard can mark when it changes. Racks have no schedule.
fn schedule_family(facts: &RunFacts<'_>) -> Family {
    let mut family = Family::new(
        "devicepool_pool_schedule_info",
        "Always 1; the period label names the pool's schedule period in effect when the last \
         run planned (its number, cron and time zone), or none.",
    );
    let Some(plan) = facts.plan else {
        return family;
    };
    let devices =
        (plan.device_pools.iter()).map(|p| (Kind::DevicePool, &p.pool, &p.schedule_period));
    let runners =
        (plan.runner_pools.iter()).map(|p| (Kind::RunnerPool, &p.pool, &p.schedule_period));
    for (kind, pool, period) in devices.chain(runners) {
        let period = period
            .as_ref()
            .map_or_else(|| "none".to_owned(), period_label);
        let set = [
            ("partition", facts.partition),
            ("kind", &word_of(&kind)),
            ("pool", pool),
            ("period", &period),
        ];
        family.add(labels(&set), 1);
    }
    family
}

/// A period's label from the plan's record of which period it is (never from its description,
/// so that rewording the plan text keeps the series): `period 1 (cron "* 8-17 * * 1-5" in
/// Europe/Berlin)`.
fn period_label(period: &PeriodInEffect) -> String {
    let PeriodInEffect {
        number,
        cron,
        timezone,
    } = period;
    format!("period {number} (cron {cron:?} in {timezone})")
}

/// Per API: requests, errors and the time they took.
fn api_families(facts: &RunFacts<'_>) -> Vec<Family> {
    let mut requests = Family::new(
        "devicepool_last_run_api_requests",
        "HTTP requests the last run sent to the API, each retry counted.",
    );
    let mut errors = Family::new(
        "devicepool_last_run_api_errors",
        "Of those, the ones that got no answer, an unusable body or an error status.",
    );
    let mut seconds = Family::new(
        "devicepool_last_run_api_request_duration_seconds",
        "Time the last run's requests to the API took, added up.",
    );
    let mut names: Vec<&str> = APIS.to_vec();
    names.extend(facts.apis.keys().filter(|api| !APIS.contains(api)));
    for api in names {
        let stats = facts.apis.get(api).copied().unwrap_or_default();
        let set = labels(&[("partition", facts.partition), ("api", api)]);
        requests.add(set.clone(), stats.requests);
        errors.add(set.clone(), stats.errors);
        seconds.add(set, format!("{:.6}", stats.seconds));
    }
    vec![requests, errors, seconds]
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
