//! The commands: thin functions that string load → snapshot (read through the clients) → plan
//! and render → apply → report together and pick the exit code. Parsing happens before; printing goes through `report`.

mod apply;
mod cli_docs;
mod clock;
#[cfg(feature = "sim")]
mod demo;
mod explain;
mod lock;
pub mod lock_engine;
mod metrics_file;
mod metrics_push;
mod output_file;
mod plan;
mod prepare;
mod replay;
#[cfg(feature = "sim")]
mod seed;
mod show;
#[cfg(feature = "sim")]
mod sim_serve;

pub use apply::parse_saved_plan;

use crate::cli::{Cli, Command, RenderArgs, SchemaKind};
use crate::exit::Exit;
use crate::lock::LockError;
use crate::{load, plan as planner, render};

/// Why `demo` and `sim` fail in a binary built without the `sim` feature.
#[cfg(not(feature = "sim"))]
const NO_SIM: &str =
    "this devicepool was built without the simulated fleet; build with the default features";

/// Runs one command; errors are printed here, once, with their cause chain.
pub fn run(cli: &Cli) -> Exit {
    let env = |name: &str| std::env::var(name).ok();
    if let Err(error) = check_clocks(&cli.command, &env) {
        print_error(&error);
        return Exit::Error;
    }
    let (metrics, partition) = match &cli.command {
        Command::Plan(args) => (&args.metrics, &args.partition),
        Command::Apply(args) => (&args.metrics, &args.partition),
        _ => return exit_of(run_command(cli, &env, &mut Default::default())),
    };
    let metrics_path = metrics.metrics_file.as_deref();
    if let Some(path) = metrics_path
        && let Err(error) = output_file::check_writable(path, "the metrics")
    {
        print_error(&error);
        return Exit::Error;
    }
    // Empty (an unset CI variable) is no push.
    let push = metrics
        .metrics_push
        .as_deref()
        .filter(|url| !url.is_empty());
    if let Some(url) = push
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        print_error(&anyhow::anyhow!(
            "--metrics-push must be an http:// or https:// URL of a Pushgateway"
        ));
        return Exit::Error;
    }
    // A password in the URL would be printed with every error that quotes it.
    if let Some(url) = push
        && url
            .split_once("://")
            .is_some_and(|(_, rest)| rest.split('/').next().unwrap_or("").contains('@'))
    {
        print_error(&anyhow::anyhow!(
            "--metrics-push must not carry credentials (user:password@): devicepool would \
             quote them in its errors; put the Pushgateway behind a proxy that adds them"
        ));
        return Exit::Error;
    }
    let mut observed = metrics_file::Observed::default();
    let exit = exit_of(run_command(cli, &env, &mut observed));
    let targets = metrics_file::Targets {
        file: metrics_path,
        push,
    };
    match metrics_file::publish(&targets, &partition.partition().label(), &observed, exit) {
        Ok(()) => exit,
        Err(error) => {
            // Unattended, a run whose metrics are missing is a run nobody sees.
            print_error(&error);
            exit.worst(Exit::Error)
        }
    }
}

/// Refuses, before anything is read, a clock variable that does not parse for a command that
/// reads the clock, and any `DEVICEPOOL_NOW` for `apply`.
fn check_clocks(command: &Command, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<()> {
    let reads_clock = matches!(
        command,
        Command::Plan(_)
            | Command::Apply(_)
            | Command::Demo(_)
            | Command::Explain(_)
            | Command::Render(_)
    );
    if !reads_clock {
        return Ok(());
    }
    if matches!(command, Command::Apply(_)) {
        clock::refuse_preview_for_apply(env(clock::NOW_VAR).as_deref())?;
    }
    clock::refuse_sim_clock_in_release(
        env(clock::SIM_CLOCK_VAR).as_deref(),
        clock::SIM_CLOCK_HONOURED,
    )?;
    for var in [clock::NOW_VAR, clock::SIM_CLOCK_VAR] {
        clock::parse_time(var, env(var).as_deref())?;
    }
    Ok(())
}

/// Runs the command itself; what `plan` and `apply` saw and did is kept in `observed`.
fn run_command(
    cli: &Cli,
    env: &dyn Fn(&str) -> Option<String>,
    observed: &mut metrics_file::Observed,
) -> anyhow::Result<Exit> {
    match &cli.command {
        Command::Validate(args) => validate(&args.config),
        Command::Plan(args) => plan::run(args, env, observed),
        Command::Apply(args) => apply::run(args, env, observed),
        Command::Lock(args) => lock::run(args, env),
        Command::Render(args) => render_files(args),
        Command::Show(args) => show::run(args),
        Command::Explain(args) => explain::run(args, env),
        Command::Completions(args) => cli_docs::completions(args.shell),
        Command::Man => cli_docs::man(),
        Command::Schema(args) => {
            let schema = match args.kind {
                SchemaKind::Desired => load::schema(),
                SchemaKind::Plan => serde_json::to_value(schemars::schema_for!(planner::Plan))
                    .expect("schema serialises"),
                SchemaKind::Snapshot => serde_json::to_value(schemars::schema_for!(
                    crate::snapshot::recording::Recording
                ))
                .expect("schema serialises"),
                SchemaKind::Report => {
                    serde_json::to_value(schemars::schema_for!(crate::apply::ApplyReport))
                        .expect("schema serialises")
                }
            };
            crate::report::emit(&crate::report::json(&schema));
            Ok(Exit::Clean)
        }
        #[cfg(feature = "sim")]
        Command::Demo(args) => demo::run(args),
        #[cfg(feature = "sim")]
        Command::Sim(args) => match &args.command {
            crate::cli::SimCommand::Serve(args) => sim_serve::run(args),
        },
        #[cfg(feature = "sim")]
        Command::SimHyperexecute { args } => {
            let code = devicepool_sim::fake_cli::run(args.clone());
            Ok(if code == 0 { Exit::Clean } else { Exit::Error })
        }
        #[cfg(not(feature = "sim"))]
        Command::Demo(_) | Command::Sim(_) | Command::SimHyperexecute { .. } => {
            Err(anyhow::anyhow!(NO_SIM))
        }
    }
}

/// The exit code of a command's result; an error is printed here, once, with its cause chain.
/// Prints `error` with its cause chain, its text escaped: a cause may quote a saved plan, an
/// API body or a file's bytes.
fn print_error(error: &anyhow::Error) {
    let text = format!("{error:#}");
    eprintln!(
        "devicepool: error: {}",
        crate::report::escape_text(&text, true)
    );
}

fn exit_of(result: anyhow::Result<Exit>) -> Exit {
    match result {
        Ok(exit) => exit,
        Err(error) => {
            if let Some(LockError::Busy { .. }) = error.downcast_ref::<LockError>() {
                let text = error.to_string();
                let text = crate::report::escape_text(&text, true);
                eprintln!("devicepool: {text}; this run did nothing");
                return Exit::Locked;
            }
            print_error(&error);
            Exit::Error
        }
    }
}

/// Renders every job file of `plan` to be shown: every known secret `<redacted>`. An entry
/// whose template fails is held (and a device it would have started on shows as spare in its
/// group).
fn render_redacted(
    templates: &render::Templates,
    desired: &load::Desired,
    plan: &mut planner::Plan,
) {
    for entry in plan.entries_mut() {
        entry.render(templates, desired, crate::reconcilers::Secrets::Redacted);
    }
    plan.mark_group_starts();
}

fn validate(path: &std::path::Path) -> anyhow::Result<Exit> {
    let loaded = load::load(path)?;
    render::load_templates(&loaded, crate::secret::Redactor::default())?;
    let warnings = crate::reconcilers::racks::config::defeating_settings(&loaded.desired);
    for line in loaded.located_lines(warnings) {
        eprintln!("devicepool: warning: {line}");
    }
    let counts = crate::reconcilers::count_every_kind(&loaded.desired);
    crate::report::emit(&format!(
        "{}: valid ({})\n",
        path.display(),
        counts.join(", ")
    ));
    Ok(Exit::Clean)
}

/// Renders job files without reading any API: one per device pool (for `--udid` or its first
/// device), one per rack (for `--agent`) and one container spec per runner pool (runner token
/// redacted, runner id `<new>`: both are only known when applying).
fn render_files(args: &RenderArgs) -> anyhow::Result<Exit> {
    let mut loaded = load::load(&args.config.config)?;
    // A period's settings are rendered as the plan would use them at the schedule time.
    crate::reconcilers::settle_every_kind(&mut loaded.desired, clock::schedule_at());
    if let Some(pool) = &args.pool
        && !crate::reconcilers::names_every_kind(&loaded.desired).contains(&pool.as_str())
    {
        anyhow::bail!(
            "no device pool, rack or runner pool named {pool:?} in {}",
            loaded.path.display()
        );
    }
    if let Some(udid) = &args.udid {
        check_udid(&loaded.desired, args.pool.as_deref(), udid)?;
    }
    // Render needs no credentials, but any that are set are scrubbed from what it prints.
    let env = |name: &str| std::env::var(name).ok();
    let redactor = prepare::known_secrets(&loaded, &env);
    // The ownership key, when the file names one: the labels and tags shown carry the MAC
    // apply sends (the MAC is not secret; the key is never printed).
    loaded.desired.ownership_key = prepare::read_ownership_key(&loaded, &env)?;
    let templates = render::load_templates(&loaded, redactor)?;
    crate::reconcilers::stamp_specs_every_kind(&mut loaded.desired, &templates);
    let desired = &loaded.desired;
    let origin = planner::Origin {
        config_path: loaded.path.display().to_string(),
        config_hash: loaded.hash.clone(),
    };
    let preview = crate::reconcilers::Preview {
        only: args.pool.as_deref(),
        udid: args.udid.as_deref(),
        agent: args.agent.as_deref(),
    };
    let mut plan = planner::preview(desired, &origin, &preview);
    render_redacted(&templates, desired, &mut plan);
    if let Some(at) = clock::preview_at() {
        crate::report::emit(&format!("# {}\n", crate::report::preview_note(at)));
    }
    for entry in plan.entries() {
        if let planner::PoolStatus::Held { reason } = entry.status() {
            anyhow::bail!("{}: {reason}", entry.describe());
        }
        for (what, file) in entry.job_files() {
            crate::report::emit(&format!("# ---- {what} ----\n"));
            crate::report::emit(file);
        }
    }
    Ok(Exit::Clean)
}

/// Refuses a `--udid` that a device pool being rendered does not list: render never makes up
/// a job for a device the pool does not own.
fn check_udid(desired: &load::Desired, only_pool: Option<&str>, udid: &str) -> anyhow::Result<()> {
    let mut pools = desired
        .device_pools
        .iter()
        .filter(|(name, _)| only_pool.is_none_or(|p| p == name.as_str()))
        .peekable();
    if pools.peek().is_none() {
        match only_pool {
            Some(pool) => {
                anyhow::bail!("--udid picks a device of a device pool; {pool:?} is not one")
            }
            None => anyhow::bail!("--udid picks a device of a device pool; there is none"),
        }
    }
    for (name, pool) in pools {
        let group = pool
            .group
            .as_ref()
            .and_then(|g| desired.device_groups.get(g));
        let (devices, select) = match group {
            Some(group) => (&group.devices, &group.select),
            None => (&pool.devices, &pool.select),
        };
        // A selector is matched against LambdaTest's list, which render does not read.
        if select.is_some() || devices.iter().any(|d| d == udid) {
            continue;
        }
        const SHOWN: usize = 3;
        let mut listed = devices[..devices.len().min(SHOWN)].join(", ");
        if devices.len() > SHOWN {
            listed.push_str(", …");
        }
        let owner = desired
            .device_pools
            .iter()
            .find(|(_, other)| other.devices.iter().any(|d| d == udid))
            .map_or(String::new(), |(other, _)| {
                format!("; it belongs to pool {other}: pass --pool {other}")
            });
        anyhow::bail!(
            "pool {name} has no device {udid:?} (it lists {} device(s): {listed}){owner}",
            devices.len()
        );
    }
    Ok(())
}
