//! devicepool: a declarative, one-shot reconciler for test-device and CI-runner fleets.
//!
//! The modules follow the data: `load` (desired state) → `sources` (read-only API clients)
//! → `snapshot` (what the world looks like) → `render` (job files) → `plan` (pure decisions)
//! → `apply` (side effects) → `report` (text and JSON). `ops` strings them together for each
//! command. The simulated fleet used by `demo`, `sim serve` and the tests is the workspace crate
//! `devicepool-sim` (the `sim` feature).

pub mod apply;
pub mod cli;
pub mod clients;
pub mod exit;
pub mod load;
pub mod lock;
pub mod logging;
pub mod ops;
pub mod parallel;
pub mod plan;
pub mod reconcilers;
pub mod recording;
pub mod render;
pub mod report;
pub mod secret;
pub mod snapshot;

/// Entry point used by the binary: parse, set up logging, run, map to an exit code.
pub fn main_entry() -> std::process::ExitCode {
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(exit) => return exit.into(),
    };
    let verbosity = if cli.global.quiet {
        -1
    } else {
        cli.global.verbose as i8
    };
    logging::init(cli.global.log_format, verbosity);
    ops::run(&cli).into()
}
