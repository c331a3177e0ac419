//! The commands: thin functions that string load → sources → plan → render → apply → report
//! together and pick the exit code. Parsing happens before; printing goes through `report`.

mod apply;
#[cfg(feature = "sim")]
mod demo;
mod plan;
mod prepare;
mod replay;
#[cfg(feature = "sim")]
mod seed;
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

/// The variable that sets the time a run plans for.
const NOW_VAR: &str = "DEVICEPOOL_NOW";

/// The time a run plans for: now, or `DEVICEPOOL_NOW` (RFC 3339) when set — for simulations
/// and tests that need to step over a cadence. [`run`] refuses a value that does not parse
/// before any command that reads the clock starts.
pub(crate) fn clock() -> jiff::Timestamp {
    parse_now(std::env::var(NOW_VAR).ok().as_deref())
        .ok()
        .flatten()
        .unwrap_or_else(jiff::Timestamp::now)
}

/// Reads a `DEVICEPOOL_NOW` value: `None` when unset, an error naming the variable and the
/// accepted format when it is set but is not an RFC 3339 timestamp (empty included).
fn parse_now(raw: Option<&str>) -> anyhow::Result<Option<jiff::Timestamp>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    raw.trim().parse().map(Some).map_err(|_| {
        anyhow::anyhow!(
            "{NOW_VAR}={raw:?} is not an RFC 3339 timestamp with an offset \
             (e.g. 2025-06-01T12:00:00Z); unset it to plan for the current time"
        )
    })
}

/// Runs one command; errors are printed here, once, with their cause chain.
pub fn run(cli: &Cli) -> Exit {
    let env = |name: &str| std::env::var(name).ok();
    let reads_clock = matches!(
        cli.command,
        Command::Plan(_) | Command::Apply(_) | Command::Demo(_)
    );
    if reads_clock && let Err(error) = parse_now(env(NOW_VAR).as_deref()) {
        eprintln!("devicepool: error: {error:#}");
        return Exit::Error;
    }
    let result = match &cli.command {
        Command::Validate(args) => validate(&args.config),
        Command::Plan(args) => plan::run(args, &env),
        Command::Apply(args) => apply::run(args, &env),
        Command::Render(args) => render_files(args),
        Command::Schema(args) => {
            let schema = match args.kind {
                SchemaKind::Desired => load::schema(),
                SchemaKind::Plan => serde_json::to_value(schemars::schema_for!(planner::Plan))
                    .expect("schema serialises"),
                SchemaKind::Snapshot => {
                    serde_json::to_value(schemars::schema_for!(crate::recording::Recording))
                        .expect("schema serialises")
                }
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
            return if code == 0 { Exit::Clean } else { Exit::Error };
        }
        #[cfg(not(feature = "sim"))]
        Command::Demo(_) | Command::Sim(_) | Command::SimHyperexecute { .. } => {
            Err(anyhow::anyhow!(NO_SIM))
        }
    };
    match result {
        Ok(exit) => exit,
        Err(error) => {
            if let Some(LockError::Busy { .. }) = error.downcast_ref::<LockError>() {
                eprintln!("devicepool: {error}; this run did nothing");
                return Exit::Locked;
            }
            eprintln!("devicepool: error: {error:#}");
            Exit::Error
        }
    }
}

/// Renders every job file of `plan` to be shown: every known secret `<redacted>`. An entry
/// whose template fails is held.
fn render_redacted(
    templates: &render::Templates,
    desired: &load::Desired,
    plan: &mut planner::Plan,
) {
    for entry in plan.entries_mut() {
        entry.render(templates, desired, crate::reconcilers::Secrets::Redacted);
    }
}

fn validate(path: &std::path::Path) -> anyhow::Result<Exit> {
    let loaded = load::load(path)?;
    render::load_templates(&loaded, crate::secret::Redactor::default())?;
    let pools = loaded.desired.device_pools.len();
    let racks = loaded.desired.racks.len();
    let runner_pools = loaded.desired.runner_pools.len();
    crate::report::emit(&format!(
        "{}: valid ({pools} device pool(s), {racks} rack(s), {runner_pools} runner pool(s))\n",
        path.display()
    ));
    Ok(Exit::Clean)
}

/// Renders job files without reading any API: one per device pool (for `--udid` or its first
/// device), one per rack (for `--agent`) and one container spec per runner pool (runner token
/// redacted, runner id `<new>`: both are only known when applying).
fn render_files(args: &RenderArgs) -> anyhow::Result<Exit> {
    let loaded = load::load(&args.config.config)?;
    let desired = &loaded.desired;
    if let Some(pool) = &args.pool
        && !desired.device_pools.contains_key(pool)
        && !desired.racks.contains_key(pool)
        && !desired.runner_pools.contains_key(pool)
    {
        anyhow::bail!(
            "no device pool, rack or runner pool named {pool:?} in {}",
            loaded.path.display()
        );
    }
    if let Some(udid) = &args.udid {
        check_udid(desired, args.pool.as_deref(), udid)?;
    }
    // Render needs no credentials, but any that are set are scrubbed from what it prints.
    let redactor = prepare::known_secrets(&loaded, &|name| std::env::var(name).ok());
    let templates = render::load_templates(&loaded, redactor)?;
    let origin = planner::Origin {
        config_path: loaded.path.display().to_string(),
        config_hash: loaded.hash.clone(),
    };
    let mut plan = planner::preview(
        desired,
        &origin,
        args.pool.as_deref(),
        args.udid.as_deref(),
        args.agent.as_deref(),
    );
    render_redacted(&templates, desired, &mut plan);
    for pool in &plan.device_pools {
        if let planner::PoolStatus::Held { reason } = &pool.status {
            anyhow::bail!("pool {}: {reason}", pool.pool);
        }
        for start in &pool.starts {
            crate::report::emit(&format!(
                "# ---- pool {}, device {} ----\n",
                pool.pool, start.udid
            ));
            crate::report::emit(&start.job_file);
        }
    }
    for rack in &plan.racks {
        if let planner::PoolStatus::Held { reason } = &rack.status {
            anyhow::bail!("rack {}: {reason}", rack.rack);
        }
        for deploy in &rack.deploys {
            crate::report::emit(&format!(
                "# ---- rack {}, agent {} ----\n",
                rack.rack, deploy.agent
            ));
            crate::report::emit(&deploy.job_file);
        }
    }
    for pool in &plan.runner_pools {
        if let planner::PoolStatus::Held { reason } = &pool.status {
            anyhow::bail!("runner pool {}: {reason}", pool.pool);
        }
        for start in &pool.starts {
            crate::report::emit(&format!(
                "# ---- runner pool {}, runner {} ----\n",
                pool.pool, start.name
            ));
            crate::report::emit(&start.container_spec);
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
        if pool.devices.iter().any(|d| d == udid) {
            continue;
        }
        const SHOWN: usize = 3;
        let mut listed = pool.devices[..pool.devices.len().min(SHOWN)].join(", ");
        if pool.devices.len() > SHOWN {
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
            pool.devices.len()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests;
