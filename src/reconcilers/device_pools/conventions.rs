//! How device pools mark the HyperExecute jobs they start: labels `[program_label, pool,
//! udid, fleet:<fleet>]` (and `mac:<hex>` with an ownership key, then `spec:<digest>` once the
//! job file is rendered), which is also how a job is recognised as ours, which device it holds
//! and which spec it ran. Jobs labelled exactly `[program, pool, udid]` were made before
//! fleets existed. No I/O; the spec label never decides whether a job is ours.

use crate::reconcilers::ownership::{LookAlike, Object, Ownership, Verdict, look_alike};
use crate::reconcilers::rollout::{SPEC_PREFIX, is_spec_digest, spec_marker};
use crate::snapshot::Job;

/// The labels of a job of `pool` on `udid`.
pub(crate) fn job_labels(
    program: &str,
    owner: &Ownership<'_>,
    pool: &str,
    udid: &str,
) -> Vec<String> {
    let mut labels = vec![program.to_string(), pool.to_string(), udid.to_string()];
    labels.extend(owner.marks(Object::Job, pool, udid));
    labels
}

/// `labels` ending in the spec label of `digest`: any spec label already there is replaced
/// (a start rendered twice, for show and then for real, carries one).
pub(crate) fn set_spec_label(labels: &mut Vec<String>, digest: &str) {
    labels.retain(|label| !label.starts_with(SPEC_PREFIX));
    labels.push(spec_marker(digest));
}

/// The spec a job ran, from its `spec:` label: `None` when it has none, or one that is not a
/// digest as devicepool writes it (both read as "unknown spec").
pub(crate) fn job_spec(job: &Job) -> Option<&str> {
    let [_, _, _, marks @ ..] = job.labels.as_deref()? else {
        return None;
    };
    let marks = Ownership::read_marks(marks.iter().map(String::as_str))?;
    marks.spec.filter(|spec| is_spec_digest(spec))
}

/// A job labelled like ours — `[program, pool, udid]` then only fleet markers — with its
/// pool, device and what it is to `owner`.
pub(crate) fn job_claim<'a>(
    job: &'a Job,
    program: &str,
    owner: &Ownership<'_>,
) -> Option<(&'a str, &'a str, Verdict)> {
    let [p, pool, udid, marks @ ..] = job.labels.as_deref()? else {
        return None;
    };
    if p != program {
        return None;
    }
    let marks = Ownership::read_marks(marks.iter().map(String::as_str))?;
    Some((pool, udid, owner.judge(marks, Object::Job, pool, udid)))
}

/// The pool and device of a job of ours (any pool, desired or not).
pub(crate) fn job_of_ours<'a>(
    job: &'a Job,
    program: &str,
    owner: &Ownership<'_>,
) -> Option<(&'a str, &'a str)> {
    match job_claim(job, program, owner)? {
        (pool, udid, Verdict::Ours) => Some((pool, udid)),
        _ => None,
    }
}

/// The pool of a job already judged ours: its second label.
pub(crate) fn job_pool(job: &Job) -> Option<&str> {
    job.labels.as_deref()?.get(1).map(String::as_str)
}

/// Every job not ended labelled like one of this fleet's that cannot prove it, for the plan
/// to show (ended ones hold nothing and would pile up).
pub(crate) fn look_alike_jobs(
    jobs: &[Job],
    program: &str,
    owner: &Ownership<'_>,
) -> Vec<LookAlike> {
    jobs.iter()
        .filter(|job| !job.has_ended())
        .filter_map(|job| match job_claim(job, program, owner)? {
            (pool, udid, Verdict::LookAlike(why)) => {
                let name = format!("{} on {udid}", job.job_number);
                Some(look_alike(Object::Job, pool, name, why))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
#[path = "conventions_tests.rs"]
mod tests;
