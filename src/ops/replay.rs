//! `plan --from-snapshot` and `plan --compare`: plan from a recorded (or just read) snapshot,
//! offline and deterministic, and show how another desired state would decide on the same
//! data. Never sends a request for a recorded snapshot; never saves a plan for `apply`.

use similar::TextDiff;

use super::prepare::{Prepared, prepare};
use crate::cli::PlanArgs;
use crate::exit::Exit;
use crate::load::Purpose;
use crate::report;
use crate::snapshot::recording::Recording;

/// Plans (or compares) from the snapshot `args` names, or from a fresh reading.
pub(super) fn run(args: &PlanArgs, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Exit> {
    let purpose = match args.from_snapshot {
        Some(_) => Purpose::Replay,
        None => Purpose::Read,
    };
    let partition = args.partition.partition();
    let prepared = prepare(&args.config.config, env, purpose, &partition)?;
    let other = match &args.compare {
        Some(path) => Some(prepare(path, env, Purpose::Replay, &partition)?),
        None => None,
    };
    let recording = match &args.from_snapshot {
        Some(path) => Recording::read(path)?,
        None => Recording::of(
            &super::plan::read_snapshot(&prepared),
            &prepared.loaded.desired,
        ),
    };
    // Runners, containers and deploys were judged for one fleet and key when read.
    for judging in std::iter::once(&prepared).chain(&other) {
        let loaded = &judging.loaded;
        recording.check_judged_for(&loaded.desired, &loaded.path)?;
    }
    if let Some(record) = &args.record {
        recording.write(record)?;
    }
    if let Some(other) = other {
        report::emit(&compare_text(&recording, &prepared, &other));
        return Ok(Exit::Clean);
    }
    let mut plan = plan_recorded(&recording, &prepared);
    // Planned from a file rather than the live fleet: `apply --plan` refuses it.
    plan.replayed = args.from_snapshot.is_some();
    report::emit(&super::show::plan_in(args.format, &plan));
    Ok(super::plan::plan_exit(&plan, args.detailed_exitcode))
}

fn plan_recorded(recording: &Recording, prepared: &Prepared) -> crate::plan::Plan {
    let snapshot = recording.clone().into_snapshot(&prepared.loaded.desired);
    super::plan::plan_from(prepared, &snapshot)
}

/// A unified diff of the text plans of `base` and `other` on `recording`, headed by both
/// file names; says so when the decisions are the same.
fn compare_text(recording: &Recording, base: &Prepared, other: &Prepared) -> String {
    let old = report::plan_text(&plan_recorded(recording, base));
    let new = report::plan_text(&plan_recorded(recording, other));
    let (old_name, new_name) = (
        base.loaded.path.display().to_string(),
        other.loaded.path.display().to_string(),
    );
    let diff = TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&old_name, &new_name)
        .to_string();
    format!(
        "Compare {old_name} -> {new_name} on the snapshot read at {}\n{diff}",
        recording.taken_at
    )
}
