//! `devicepool sim serve`: the simulated fleet as a standing service on loopback, to run
//! devicepool's real commands against. Writes where every fake is (and the sim-only
//! credentials) to an info file, then serves until told to stop. Never reaches a real API and
//! never plans or applies anything itself.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;
use devicepool_sim::Fleet;
use devicepool_sim::shutdown::Shutdown;
use serde_json::{Value, json};

use super::seed;
use crate::cli::SimServeArgs;
use crate::exit::Exit;
use crate::{load, report};

pub(super) fn run(args: &SimServeArgs) -> anyhow::Result<Exit> {
    // First, before any thread starts: the fakes' threads must inherit the blocked signals.
    let shutdown = Shutdown::arm().context("watching for SIGTERM and SIGINT")?;
    let desired = match &args.config {
        Some(path) => Some(load::load(path)?.desired),
        None => None,
    };
    let fleet = Fleet::start().context("starting the simulated fleet")?;
    // No test steps it: a runner's container, once started, brings the runner up.
    fleet.run_runner_containers();
    let work = tempfile::Builder::new()
        .prefix("devicepool-sim-")
        .tempdir()
        .context("creating the directory of the fake hyperexecute CLI")?;
    let exe = std::env::current_exe().context("locating the devicepool binary")?;
    let cli = fleet.write_fake_cli(work.path(), &exe)?;
    if let Some(desired) = &desired {
        seed::seed(&fleet, desired);
    }
    let credentials = seed::credentials(&fleet, desired.as_ref());
    write_info(&args.info, &info(&fleet, &cli, credentials))?;
    report::emit(&format!(
        "simulated fleet serving on loopback; its URLs and credentials are in {}\n",
        args.info.display()
    ));
    let stop = shutdown.wait(args.duration);
    tracing::info!("simulated fleet stopping: {stop}");
    // Its URLs die with this process: a stale file would only mislead.
    if let Err(error) = std::fs::remove_file(&args.info) {
        tracing::warn!("cannot remove {}: {error}", args.info.display());
    }
    Ok(Exit::Clean)
}

/// What the info file holds: the fakes under the keys of a desired state's `sources`, the
/// process to stop, and the credentials by variable name.
fn info(fleet: &Fleet, cli: &Path, credentials: BTreeMap<String, String>) -> Value {
    let lambdatest = fleet.lambdatest.url();
    json!({
        "version": 1,
        "pid": std::process::id(),
        "sources": {
            "taskcluster": { "root_url": fleet.taskcluster.url() },
            "lambdatest": {
                "api_url": lambdatest,
                "devices_url": lambdatest,
                "cli": cli,
            },
            "maas": { "url": fleet.maas.url() },
            "testflinger": { "url": fleet.testflinger.url() },
            "gitlab": { "url": fleet.gitlab.url() },
            "docker": { "host": fleet.docker.host() },
        },
        "env": credentials,
    })
}

/// Writes `info` as pretty JSON to `path` atomically (temp file in the same directory, then
/// rename), mode 0600: it holds credentials, if only simulated ones.
fn write_info(path: &Path, info: &Value) -> anyhow::Result<()> {
    super::output_file::write_atomically(path, &report::json(info), None)
        .with_context(|| format!("cannot write the fleet info to {}", path.display()))
}

#[cfg(test)]
#[path = "sim_serve_tests.rs"]
mod tests;
