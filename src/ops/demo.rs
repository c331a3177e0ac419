//! `devicepool demo`: the whole loop against the built-in simulated fleet, with no
//! credentials and no network. Seeds the fakes, runs plan → apply → plan in-process and
//! shows that the second plan starts nothing.

use anyhow::{Context, bail};

use super::apply::{apply_exit, carry_out};
use super::plan::make_plan;
use super::prepare::prepare;
use super::seed;
use crate::cli::{DemoArgs, Format};
use crate::exit::Exit;
use crate::plan::{Plan, Recheck, recheck};
use crate::reconcilers::record::{Action, Outcome};
use crate::{load, report};
use devicepool_sim::Fleet;

/// The demo's desired state, shipped as `plans/demo.yaml`.
const DEMO_PLAN: &str = include_str!("../../plans/demo.yaml");

pub(super) fn run(args: &DemoArgs) -> anyhow::Result<Exit> {
    let fleet = Fleet::start().context("starting the simulated fleet")?;
    let work = tempfile::tempdir().context("creating the demo directory")?;
    let exe = std::env::current_exe().context("locating the devicepool binary")?;
    let cli = fleet.write_fake_cli(work.path(), &exe)?;
    let text = DEMO_PLAN
        .replace("http://taskcluster.sim.invalid", &fleet.taskcluster.url())
        .replace("http://lambdatest.sim.invalid", &fleet.lambdatest.url())
        .replace("http://maas.sim.invalid/MAAS", &fleet.maas.url())
        .replace("http://testflinger.sim.invalid", &fleet.testflinger.url())
        .replace("http://gitlab.sim.invalid", &fleet.gitlab.url())
        .replace("unix:///docker.sim.invalid.sock", &fleet.docker.host())
        .replace("cli: hyperexecute", &format!("cli: {}", cli.display()));
    let config = work.path().join("demo.yaml");
    std::fs::write(&config, text)?;
    let desired = load::load(&config)?.desired;
    seed_demo(&fleet, &desired);

    let credentials = seed::credentials(&fleet, Some(&desired));
    let env = |name: &str| credentials.get(name).cloned();
    let prepared = prepare(
        &config,
        &env,
        crate::load::Purpose::Launch,
        &Default::default(),
    )?;
    let state_dir = work.path().join("state");

    let first = make_plan(&prepared);
    show("Plan 1: what the fleet needs now", &first, args.format);
    if let Some(page) = &args.page {
        super::output_file::write_atomically(page, &report::html::plan_html(&first), None)?;
    }
    let Recheck { kept, drifted } = recheck(&first, &first);
    let applied = carry_out(&prepared, kept, drifted, &state_dir, None, None);
    crate::report::emit("\n== Apply ==\n");
    crate::report::emit(&match args.format {
        Format::Text => report::apply_text(&applied),
        Format::Json => report::json(&applied),
    });
    // The new runners' processes start and contact GitLab, as real ones would.
    for runner in fleet.gitlab.runners() {
        fleet.gitlab.contact(runner.id);
    }
    let second = make_plan(&prepared);
    show(
        "Plan 2: after the launches (their jobs are `initiated`)",
        &second,
        args.format,
    );

    let exit = apply_exit(&applied);
    let done = |action: Action| {
        let done = applied
            .actions
            .iter()
            .filter(|a| a.outcome == Outcome::Done);
        done.filter(|a| a.action == action).count()
    };
    if second.action_count() > 0 {
        bail!(
            "the second plan still takes {} action(s): the loop did not converge",
            second.action_count()
        );
    }
    crate::report::emit(&format!(
        "\nConverged: {} job(s) launched, {} deploy(s) submitted, {} runner action(s) done; the second plan changes nothing. Requests served: Taskcluster {}, LambdaTest {}.\n",
        done(Action::StartJob),
        done(Action::Deploy),
        done(Action::RemoveRunner) + done(Action::RemoveContainer) + done(Action::StartRunner),
        fleet.taskcluster.server().requests().len(),
        fleet.lambdatest.server().requests().len(),
    ));
    Ok(exit)
}

fn show(title: &str, plan: &Plan, format: Format) {
    crate::report::emit(&format!("\n== {title} ==\n"));
    crate::report::emit(&match format {
        Format::Text => report::plan_text(plan),
        Format::Json => report::json(plan),
    });
}

/// Fills the fakes: every device active except a few busy ones, one quarantined worker,
/// pending tasks per queue, jobs of another team in the org, a rack of eight machines (one
/// agent offline, one machine without an agent), and a runner pool with three pending jobs,
/// a runner that never came up and a container left behind by an earlier run.
fn seed_demo(fleet: &Fleet, desired: &load::Desired) {
    let pending = [("a55-perf", 25), ("p9-unit", 6), ("s24-alpha", 0)];
    for (name, pool) in &desired.device_pools {
        let count = pending
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, c)| *c);
        let busy = if name == "a55-perf" { 2 } else { 0 };
        seed::device_pool(fleet, pool, "Galaxy A55 5G", count, busy);
    }
    if let Some(pool) = desired.device_pools.get("p9-unit") {
        let until = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2);
        fleet
            .taskcluster
            .add_worker(&pool.task_queue, &pool.devices[0], Some(until));
    }
    if let Some(rack) = desired.racks.get("rack-a") {
        seed::rack(fleet, "rack-a", rack, 8, |i| match i {
            3 => Some("offline"),
            8 => None,
            _ => Some("waiting"),
        });
    }
    fleet.docker.add_image("gitlab/gitlab-runner:latest");
    for tags in [
        &["autogit"][..],
        &["autogit", "docker"],
        &["docker"],
        &["gpu"],
    ] {
        fleet.gitlab.add_pending_job("group/app", tags);
    }
    fleet
        .gitlab
        .add_runner("devicepool-autogit-100-1", &["autogit", "docker"], false);
    fleet.docker.add_container(
        "devicepool-autogit-r999",
        "gitlab/gitlab-runner:latest",
        &[
            ("devicepool.pool", "autogit"),
            ("devicepool.managed", "true"),
            ("devicepool.runner-id", "999"),
        ],
        "exited",
    );
    let earlier = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(20);
    for status in ["initiated", "initiated", "completed"] {
        fleet.lambdatest.add_job(
            Some(vec!["other-team".into(), "perf".into()]),
            status,
            earlier,
        );
    }
}
