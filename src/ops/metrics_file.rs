//! `--metrics-file` of `plan` and `apply`: what the run saw (its plan) and did (the apply
//! report) is kept as it becomes known, so a run that fails after its snapshot still shows its
//! held pools; once the exit code is known the file is written atomically, mode 0644 (it holds
//! no secret, and the textfile collector may run as another user). The last success and the
//! held-run counts are read back from the file being replaced rather than kept in the state
//! directory: the file is the only state they need, and `plan` takes no lock and may have no
//! state directory. Formatting is `report::metrics`; nothing here decides anything.

use std::path::Path;

use crate::apply::ApplyReport;
use crate::clients::request_stats;
use crate::exit::Exit;
use crate::plan::Plan;
use crate::report::metrics::{self, Previous, RunFacts};

/// What a run has seen and done so far.
#[derive(Default)]
pub(super) struct Observed {
    pub plan: Option<Plan>,
    pub report: Option<ApplyReport>,
    /// The last success the `settings.lock` lease's run record holds: a run on any host.
    pub shared_last_success: Option<i64>,
}

/// Writes the metrics of a run that ended with `exit` to `path`.
pub(super) fn write(
    path: &Path,
    partition: &str,
    observed: &Observed,
    exit: Exit,
) -> anyhow::Result<()> {
    let previous = match crate::load::read_input(path) {
        Ok(text) => metrics::previous(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Previous::default(),
        Err(e) => {
            tracing::warn!(path = %path.display(), "cannot read the previous metrics ({e}); the last success and held-run counts start again");
            Previous::default()
        }
    };
    let previous = Previous {
        last_success: previous.last_success.max(observed.shared_last_success),
        ..previous
    };
    let facts = RunFacts {
        partition,
        plan: observed.plan.as_ref(),
        report: observed.report.as_ref(),
        apis: &request_stats::snapshot(),
        exit,
        now: super::clock::real_now(),
    };
    let text = metrics::metrics_text(&facts, &previous);
    super::output_file::write_atomically(path, &text, Some(0o644))
}
