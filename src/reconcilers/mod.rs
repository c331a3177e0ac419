//! RECONCILERS: one folder per kind of thing devicepool keeps busy — device pools (Taskcluster
//! queues served by LambdaTest devices), racks (MAAS machines deployed through Testflinger) and
//! runner pools (GitLab runners in Docker containers). Each folder holds that kind's config
//! model, what it reads (observe), its rules, re-check, render, execute, report text and naming
//! conventions. Shared code reaches a kind's entries through [`KindPlan`] and the pipeline
//! reaches the kinds through the `*_every_kind` functions below: this file is the one list of
//! kinds. Nothing here reads a clock.

mod cron;
pub mod device_pools;
pub mod ownership;
mod per_kind;
pub mod racks;
pub mod record;
pub mod rollout;
mod run;
pub mod runner_pools;
pub mod schedule;
pub(crate) mod selection;
mod share;
mod status;

pub use per_kind::PerKind;
pub use run::{Run, Secrets};
pub use share::share_round_robin;
pub use status::{PoolStatus, word_of};
pub(crate) use status::{disabled, hold, unplanned, write_schedule_line, write_status_line};

use jiff::Timestamp;

use crate::clients::ReadCredentials;
use crate::load::Desired;
use crate::load::section::Problem;
use crate::plan::Plan;
use crate::render::Templates;
use crate::secret::Redactor;
use crate::snapshot::Snapshot;
use crate::snapshot::read::Readers;
use record::{ActionRecord, Broken, Kind, Outcome, VerifyNote};
use selection::Drift;

/// What the shared code (counting, holding, the global budget, rendering, the text plan) asks
/// of one kind's entry in a plan. A new kind implements this and is listed in `Plan`.
pub trait KindPlan {
    /// Which reconciler the entry belongs to.
    fn kind(&self) -> record::Kind;
    /// The pool, rack or runner pool this entry decides for.
    fn name(&self) -> &str;
    /// Planned, held or disabled.
    fn status(&self) -> &PoolStatus;
    /// One line saying what bound the decision.
    fn reason(&self) -> &str;
    /// Actions the entry takes: jobs to start, machines to deploy, runners to start or remove.
    fn action_count(&self) -> usize;
    /// Keeps the first `grant` actions (in the order apply runs them) and appends `note` to
    /// the reason; what is dropped is marked in the entry's decisions.
    fn clip(&mut self, grant: u32, note: &str);
    /// Renders the entry's job files; a template that fails holds the entry.
    fn render(&mut self, templates: &Templates, desired: &Desired, secrets: Secrets<'_>);
    /// Appends the entry as text: a head line, then one line per decision.
    fn write_text(&self, out: &mut String);
    /// The entry as `devicepool render` names it: `pool a55`, `rack rack-a`, …
    fn describe(&self) -> String;
    /// Every rendered job file or container spec, each with what it is for
    /// (`pool a55, device A55-01`).
    fn job_files(&self) -> Vec<(String, &str)>;
    /// The entry's work when it was planned, for metrics: (waiting to be served, free,
    /// in flight) in the kind's own units (tasks and devices, due and waiting machines,
    /// pending jobs and runners).
    fn workload(&self) -> Option<(u64, u64, u64)>;
    /// Since when the entry's oldest waiting work has waited, for the queue-wait metric: a
    /// device pool's oldest pending task, a runner pool's oldest pending job, the moment a
    /// rack's longest-due machine fell due. `None` when nothing waits or it is not known.
    fn oldest_pending_since(&self) -> Option<jiff::Timestamp>;
    /// The entry's numbers in one line and its actions, one each, for a Markdown table.
    fn summary_cells(&self) -> (Option<String>, Vec<String>);
    /// The chain of numbers and rules behind the decision, one step a line (the plan carries
    /// it).
    fn explain(&self) -> Vec<String>;
    /// One line per device, machine or runner: its state and why (`explain` prints them).
    fn explain_items(&self) -> Vec<String>;
    /// The entry's roll-out: the spec it renders now, what runs another and how many are
    /// replaced this run. `None` when the entry was not planned (held, disabled).
    fn rollout(&self) -> Option<&rollout::RolloutPlan>;
}

/// Every kind plans all its entries from the snapshot, in name order.
pub(crate) fn plan_every_kind(desired: &Desired, snapshot: &Snapshot, plan: &mut Plan) {
    let (pools, groups) = device_pools::rules::plan_all(desired, snapshot);
    let planned = PerKind {
        device_pools: pools,
        racks: racks::rules::plan_all(desired, snapshot),
        runner_pools: runner_pools::rules::plan_all(desired, snapshot),
    };
    plan.set_kinds(planned);
    plan.device_groups = groups;
    plan.look_alikes = look_alikes_every_kind(desired, snapshot);
}

/// Every object of every kind that looks like this fleet's but cannot prove it.
fn look_alikes_every_kind(desired: &Desired, snapshot: &Snapshot) -> Vec<ownership::LookAlike> {
    let owner = ownership::Ownership::of(desired);
    let PerKind {
        device_pools: (_, lambdatest),
        racks: (_, rack_reads),
        runner_pools: runner_pool_reads,
    } = snapshot.kinds();
    PerKind {
        device_pools: match (&desired.sources.lambdatest, lambdatest) {
            (Some(lt), Ok(read)) => {
                device_pools::conventions::look_alike_jobs(&read.jobs, &lt.program_label, &owner)
            }
            _ => Vec::new(),
        },
        racks: (rack_reads.values().filter_map(|r| r.as_ref().ok()))
            .flat_map(|r| r.look_alikes.iter().cloned())
            .collect(),
        runner_pools: (runner_pool_reads.values().filter_map(|r| r.as_ref().ok()))
            .flat_map(|r| r.look_alikes.iter().cloned())
            .collect(),
    }
    .concat()
}

/// Every kind cuts its fresh entries in `kept` down to what `saved` selects.
pub(crate) fn recheck_every_kind(
    saved: &Plan,
    fresh: &Plan,
    kept: &mut Plan,
    drifted: &mut Vec<Drift>,
) {
    let (saved_at, fresh_at) = (saved.snapshot_at, fresh.snapshot_at);
    let (saved, fresh, kept) = (saved.kinds(), fresh.kinds(), kept.kinds_mut());
    let _: PerKind<(), (), ()> = PerKind {
        device_pools: device_pools::recheck::recheck_all(
            saved.device_pools,
            fresh.device_pools,
            kept.device_pools,
            drifted,
        ),
        racks: racks::recheck::recheck_all(saved.racks, fresh.racks, kept.racks, drifted),
        runner_pools: runner_pools::recheck::recheck_all(
            (saved.runner_pools, saved_at),
            (fresh.runner_pools, fresh_at),
            kept.runner_pools,
            drifted,
        ),
    };
}

/// Every kind carries out its kept actions, one kind after the other.
pub(crate) fn execute_every_kind(run: &Run<'_>, kept: &Plan) -> Vec<ActionRecord> {
    let kept = kept.kinds();
    PerKind {
        device_pools: device_pools::execute::execute(run, kept.device_pools),
        racks: racks::execute::execute(run, kept.racks),
        runner_pools: runner_pools::execute::execute(run, kept.runner_pools),
    }
    .concat()
}

/// Every kind checks, on a snapshot read after an apply, the promises this apply (`actions`)
/// made; what breaks none but is worth saying comes back as notes.
pub(crate) fn verify_every_kind(
    desired: &Desired,
    snapshot: &Snapshot,
    actions: &[ActionRecord],
) -> (Vec<Broken>, Vec<VerifyNote>) {
    let (device_broken, device_notes) = device_pools::verify::verify(desired, snapshot, actions);
    let (runner_broken, runner_notes) = runner_pools::verify::verify(desired, snapshot, actions);
    let broken = PerKind {
        device_pools: device_broken,
        racks: racks::verify::verify(desired, snapshot, actions),
        runner_pools: runner_broken,
    };
    let notes = PerKind {
        device_pools: device_notes,
        racks: Vec::new(),
        runner_pools: runner_notes,
    };
    (broken.concat(), notes.concat())
}

/// Every kind's tried actions of an apply as text, each under its own heading.
pub(crate) fn write_every_outcome(out: &mut String, actions: &[ActionRecord]) {
    let tried = |kind: Kind| -> Vec<&ActionRecord> {
        let of_kind = actions.iter().filter(|a| a.kind == kind);
        of_kind.filter(|a| a.outcome != Outcome::Skipped).collect()
    };
    let _: PerKind<(), (), ()> = PerKind {
        device_pools: device_pools::report::write_outcomes(out, &tried(Kind::DevicePool)),
        racks: racks::report::write_outcomes(out, &tried(Kind::Rack)),
        runner_pools: runner_pools::report::write_outcomes(out, &tried(Kind::RunnerPool)),
    };
}

/// Every kind reads what it needs, side by side (device pools, racks and runner pools in
/// parallel; inside each, every page once).
pub(crate) fn observe_every_kind(
    desired: &Desired,
    readers: &Readers,
    credentials: &ReadCredentials,
    redactor: &Redactor,
    now: Timestamp,
) -> Snapshot {
    let (pools, (agents, rack_states), runner_pool_states) = std::thread::scope(|scope| {
        let rack_reads = scope.spawn(|| {
            racks::observe::snapshot_racks(
                desired,
                &readers.maas,
                &readers.testflinger,
                credentials,
                now,
            )
        });
        let runner_reads = scope.spawn(|| {
            runner_pools::observe::snapshot_runner_pools(
                desired,
                &readers.gitlab,
                &credentials.gitlab_token,
                &credentials.docker_host,
                redactor,
            )
        });
        let pools = device_pools::observe::snapshot_device_pools(
            desired,
            &readers.taskcluster,
            &readers.lambdatest,
            credentials,
            now,
        );
        (
            pools,
            rack_reads.join().expect("rack reads do not panic"),
            runner_reads.join().expect("runner pool reads do not panic"),
        )
    });
    let (queues, lambdatest) = pools;
    Snapshot {
        taken_at: now,
        queues,
        lambdatest,
        agents,
        racks: rack_states,
        runner_pools: runner_pool_states,
    }
}

/// Every kind's rules the schema cannot say, on its own section of the desired state.
pub(crate) fn check_every_kind(desired: &Desired, problems: &mut Vec<Problem>) {
    let _: PerKind<(), (), ()> = PerKind {
        device_pools: device_pools::config::check_section(desired, problems),
        racks: racks::config::check_section(desired, problems),
        runner_pools: runner_pools::config::check_section(desired, problems),
    };
}

/// Lays each pool's schedule period in effect at `at` over its settings, for every kind that
/// has schedules.
pub fn settle_every_kind(desired: &mut Desired, at: Timestamp) {
    let PerKind {
        device_pools,
        racks: _no_schedules,
        runner_pools,
    } = desired.kinds_mut();
    schedule::settle_entries(device_pools.values_mut(), at);
    schedule::settle_entries(runner_pools.values_mut(), at);
}

/// Where every entry of every kind names its template: (JSON pointer, name).
/// Every kind stamps on its entries the digest of the spec they render now, for their
/// roll-outs to compare: the planner cannot render, so this runs once the templates load.
pub(crate) fn stamp_specs_every_kind(desired: &mut Desired, templates: &Templates) {
    let PerKind {
        device_pools: (),
        racks: (),
        runner_pools: (),
    } = PerKind {
        // A device pool's roll-out only reports: its digest is taken where its job files
        // render (device_pools/render.rs), which every plan runs.
        device_pools: (),
        racks: racks::spec::stamp_specs(desired, templates),
        runner_pools: runner_pools::render::stamp_specs(templates, desired),
    };
}

pub(crate) fn template_keys_every_kind(desired: &Desired) -> Vec<(String, &str)> {
    PerKind {
        device_pools: device_pools::config::template_keys(desired),
        racks: racks::config::template_keys(desired),
        runner_pools: runner_pools::config::template_keys(desired),
    }
    .concat()
}

/// Every kind's actions in `plan`, counted and named, for the plan's last line.
pub(crate) fn tally_every_kind(plan: &Plan) -> Vec<(usize, &'static str)> {
    let plan = plan.kinds();
    PerKind {
        device_pools: device_pools::report::tally(plan.device_pools),
        racks: racks::report::tally(plan.racks),
        runner_pools: runner_pools::report::tally(plan.runner_pools),
    }
    .concat()
}

/// The name of every entry of every kind in `desired`.
pub(crate) fn names_every_kind(desired: &Desired) -> Vec<&str> {
    let PerKind {
        device_pools,
        racks,
        runner_pools,
    } = desired.kinds();
    let (pools, racks, runner_pools) = (device_pools.keys(), racks.keys(), runner_pools.keys());
    pools
        .chain(racks)
        .chain(runner_pools)
        .map(String::as_str)
        .collect()
}

/// Keeps in `desired` only the entries of every kind whose name `keep` accepts.
pub(crate) fn retain_every_kind(desired: &mut Desired, keep: &dyn Fn(&str) -> bool) {
    let PerKind {
        device_pools,
        racks,
        runner_pools,
    } = desired.kinds_mut();
    device_pools.retain(|name, _| keep(name));
    racks.retain(|name, _| keep(name));
    runner_pools.retain(|name, _| keep(name));
}

/// How many entries each kind has in `desired`, for `validate` to say.
pub(crate) fn count_every_kind(desired: &Desired) -> Vec<String> {
    let PerKind {
        device_pools,
        racks,
        runner_pools,
    } = desired.kinds();
    vec![
        format!("{} device pool(s)", device_pools.len()),
        format!("{} rack(s)", racks.len()),
        format!("{} runner pool(s)", runner_pools.len()),
    ]
}

/// What `devicepool render` previews: every entry, or only the one named `only`; device pools
/// on `udid` (else their first device), racks on `agent` (else `example-agent`).
pub struct Preview<'a> {
    pub only: Option<&'a str>,
    pub udid: Option<&'a str>,
    pub agent: Option<&'a str>,
}

/// Every kind's preview: one example action per entry, without reading any API.
pub(crate) fn preview_every_kind(desired: &Desired, preview: &Preview<'_>, plan: &mut Plan) {
    plan.set_kinds(PerKind {
        device_pools: device_pools::preview::preview(desired, preview),
        racks: racks::preview::preview(desired, preview),
        runner_pools: runner_pools::preview::preview(desired, preview),
    });
}
