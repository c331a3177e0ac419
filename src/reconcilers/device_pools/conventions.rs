//! How device pools mark the HyperExecute jobs they start: labels exactly
//! `[program_label, pool, udid]`, which is also how a job is recognised as ours and which
//! device it holds. No I/O.

use crate::snapshot::Job;

/// The labels of a job of `pool` on `udid`.
pub(crate) fn job_labels(program: &str, pool: &str, udid: &str) -> Vec<String> {
    vec![program.to_string(), pool.to_string(), udid.to_string()]
}

/// The pool of a job of ours (any pool, desired or not): labels exactly `[program, pool, udid]`.
pub(crate) fn job_pool<'a>(job: &'a Job, program: &str) -> Option<&'a str> {
    match job.labels.as_deref() {
        Some([p, pool, _]) if p == program => Some(pool),
        _ => None,
    }
}

/// The device a job of ours runs on: its third label.
pub(crate) fn job_udid(job: &Job) -> Option<&str> {
    job.labels
        .as_deref()
        .and_then(|l| l.get(2))
        .map(String::as_str)
}
