//! `devicepool show PLAN.json`: prints a saved plan as text, JSON, Markdown or an HTML page.
//! The file is read through the same bounded reader and format check as `apply --plan`; no
//! desired state, no credential, no request.

use crate::cli::{PlanFormat, ShowArgs};
use crate::exit::Exit;
use crate::plan::Plan;
use crate::report;

pub(super) fn run(args: &ShowArgs) -> anyhow::Result<Exit> {
    let plan = super::apply::read_plan_file(&args.plan)?;
    report::emit(&plan_in(args.format, &plan));
    Ok(Exit::Clean)
}

/// `plan` printed in `format`.
pub(super) fn plan_in(format: PlanFormat, plan: &Plan) -> String {
    match format {
        PlanFormat::Text => report::plan_text(plan),
        PlanFormat::Json => report::json(plan),
        PlanFormat::Markdown => report::markdown::plan_markdown(plan),
        PlanFormat::Html => report::html::plan_html(plan),
    }
}
