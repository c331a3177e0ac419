//! devicepool: a declarative, one-shot reconciler for test-device and CI-runner fleets.
//!
//! `ls src` follows the data: `load` (the desired state) → `clients` (one module per API, read
//! and write halves together) → `snapshot` (what one run read) → `plan` (pure decisions) →
//! `apply` (side effects) → `report` (text and JSON), with `render` (job files from templates)
//! beside the plan. The kinds of thing devicepool keeps busy live in `reconcilers/<kind>/`
//! (device pools, racks, runner pools), each with its config model, observe, rules, re-check,
//! render, execute, report text and naming conventions; `reconcilers/mod.rs` is the one list
//! of kinds the pipeline goes through. `ops` strings the steps together for each command.
//! The simulated fleet is the workspace crate `devicepool-sim`, built in with the default
//! feature `sim` for `demo` and `sim serve`.

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
pub mod render;
pub mod report;
pub mod secret;
pub mod snapshot;

/// The program to start render workers from: `/proc/self/exe`, which stays this binary even
/// if its file is replaced or removed while it runs (an upgrade during a run); the path it
/// was started from where there is no /proc. Without either, every render fails (held).
fn worker_program() -> std::path::PathBuf {
    let proc_exe = std::path::Path::new("/proc/self/exe");
    if proc_exe.exists() {
        return proc_exe.to_path_buf();
    }
    std::env::current_exe().unwrap_or_else(|_| proc_exe.to_path_buf())
}

/// Entry point used by the binary: parse, set up logging, run, map to an exit code.
pub fn main_entry() -> std::process::ExitCode {
    if let Some(exit) = render::serve_if_asked() {
        return exit;
    }
    render::render_in_workers(worker_program());
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(exit) => return exit.into(),
    };
    let verbosity = if cli.global.quiet {
        -1
    } else {
        cli.global.verbose as i8
    };
    if let Err(error) = logging::init(cli.global.log_format, verbosity) {
        eprintln!("devicepool: error: {error}");
        return exit::Exit::Error.into();
    }
    ops::run(&cli).into()
}
