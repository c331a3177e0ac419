//! `--metrics-file` and `--metrics-push` of `plan` and `apply`: what the run saw (its plan) and did (the apply
//! report) is kept as it becomes known, so a run that fails after its snapshot still shows its
//! held pools; once the exit code is known the file is written atomically, mode 0644 (it holds
//! no secret, and the textfile collector may run as another user). The last success and the
//! held-run counts are read back from the file being replaced rather than kept in the state
//! directory: the file is the only state they need, and `plan` takes no lock and may have no
//! state directory; without a file they are read from the Pushgateway's previous push
//! (`metrics_push`). Formatting is `report::metrics`; nothing here decides anything.

use std::path::Path;

use crate::apply::ApplyReport;
use crate::clients::request_stats;
use crate::exit::Exit;
use crate::plan::Plan;
use crate::report::metrics::{self, Previous, RunFacts};

use super::metrics_push;

/// What a run has seen and done so far.
#[derive(Default)]
pub(super) struct Observed {
    /// The desired state's fleet, once it is loaded: the push's grouping key.
    pub fleet: Option<String>,
    pub plan: Option<Plan>,
    pub report: Option<ApplyReport>,
    /// The last success the `settings.lock` lease's run record holds: a run on any host.
    pub shared_last_success: Option<i64>,
}

/// Where a run's metrics go.
pub(super) struct Targets<'a> {
    pub file: Option<&'a Path>,
    /// A Pushgateway's base URL.
    pub push: Option<&'a str>,
}

/// Publishes the metrics of a run that ended with `exit`: pushes them (a failure is a
/// warning, counted in the file's `pushgateway` figures), then writes the file (an error).
pub(super) fn publish(
    targets: &Targets<'_>,
    partition: &str,
    observed: &Observed,
    exit: Exit,
) -> anyhow::Result<()> {
    let from_file = targets.file.map(read_previous).unwrap_or_default();
    let group = targets
        .push
        .and_then(|url| metrics_push::group(url, observed.fleet.as_deref(), partition));
    let previous = match &group {
        // The file, when there is one with figures in it, is this schedule's own record.
        Some(group) if from_file == Previous::default() => metrics_push::read_previous(group),
        _ => from_file,
    };
    let previous = Previous {
        last_success: previous.last_success.max(observed.shared_last_success),
        ..previous
    };
    let text = |now| {
        let facts = RunFacts {
            partition,
            plan: observed.plan.as_ref(),
            report: observed.report.as_ref(),
            apis: &request_stats::snapshot(),
            exit,
            now,
        };
        metrics::metrics_text(&facts, &previous)
    };
    let now = super::clock::real_now();
    if let Some(group) = &group {
        metrics_push::push(group, &text(now));
    }
    match targets.file {
        Some(path) => super::output_file::write_atomically(path, &text(now), Some(0o644)),
        None => Ok(()),
    }
}

/// The carried-on figures of the file being replaced; none when it is missing or unreadable.
fn read_previous(path: &Path) -> Previous {
    match crate::load::read_input(path) {
        Ok(text) => metrics::previous(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Previous::default(),
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot read the previous metrics ({e}); the last success and held-run counts start again");
            Previous::default()
        }
    }
}
