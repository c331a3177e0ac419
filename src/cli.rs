//! Command-line arguments (clap derive) and how a usage error ends: exit 1, never clap's 2,
//! which `plan --detailed-exitcode` uses for "changes present". Nothing past `ops` sees these
//! types, except `logging`, which is set up from `--log-format` before anything runs.

use std::path::PathBuf;

use clap::error::ErrorKind;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit::Exit;

/// An environment variable that stands in for an argument.
struct ArgVar {
    name: &'static str,
    /// What it gives, for the message.
    gives: &'static str,
    /// The values clap takes.
    takes: fn(&str) -> bool,
}

const ARG_VARS: [ArgVar; 2] = [
    ArgVar {
        name: "DEVICEPOOL_CONFIG",
        gives: "the desired-state file",
        takes: |v| !v.is_empty(),
    },
    ArgVar {
        name: "DEVICEPOOL_LOG_FORMAT",
        gives: "text or json",
        takes: |v| matches!(v, "text" | "json"),
    },
];

/// Parses the command line; a usage error is printed and ends the run with exit 1 (help and
/// version with 0). A usage error that an environment variable may have caused names it.
pub fn parse() -> Result<Cli, Exit> {
    Cli::try_parse().map_err(|error| {
        let _ = error.print();
        if matches!(
            error.kind(),
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
        ) {
            return Exit::Clean;
        }
        for ArgVar { name, gives, takes } in ARG_VARS {
            match std::env::var(name) {
                Ok(value) if value.is_empty() => {
                    eprintln!("note: {name} is set but empty; unset it or set it to {gives}")
                }
                Ok(value) if !takes(&value) => eprintln!("note: {name}={value:?} is not {gives}"),
                _ => {}
            }
        }
        Exit::Error
    })
}

/// Keeps fleets of test devices and CI runners busy and tidy: reads the desired state,
/// snapshots the APIs (Taskcluster, LambdaTest, MAAS, Testflinger, GitLab, Docker), plans the
/// HyperExecute jobs to start, the machines to deploy and the runners to start or remove, and
/// carries the plan out.
///
/// Exit codes: 0 success / no changes (and --help, --version), 1 error (nothing done; usage
/// errors too: an unknown flag, a bad value, an empty or bad DEVICEPOOL_CONFIG or
/// DEVICEPOOL_LOG_FORMAT; and apply's question not answered `yes`), 2 changes present (plan --detailed-exitcode), 3 apply partly
/// failed (or the settings.lock lease was lost mid-apply), 4 some pools or racks held (a source
/// failed; the others were handled), 5 another run holds the lock, 6 apply --verify found a
/// broken promise.
#[derive(Debug, Parser)]
#[command(
    name = "devicepool",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("DEVICEPOOL_COMMIT"), ")"),
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "DEVICEPOOL_LOG_FORMAT")]
    pub log_format: LogFormat,
    /// More log output (-v info, -vv debug, -vvv trace). DEVICEPOOL_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a desired-state file: schema and semantic rules, with file:line:col errors.
    /// Sends no request and needs no credentials.
    Validate(ConfigArg),
    /// Read the fleet and print what a run would do, with the reason for every decision.
    /// Sends only reads; never starts, deploys or removes anything.
    Plan(PlanArgs),
    /// Read the fleet, plan, and carry the plan out (or apply a saved plan). Takes the lock
    /// `<state_dir>/lock` (and the `settings.lock` lease) first and exits 5 when another run
    /// holds it (unless --wait-lock).
    Apply(ApplyArgs),
    /// Print the job files and container specs a run would submit, secrets redacted. Sends no
    /// request.
    Render(RenderArgs),
    /// Show or break the run lock: `lock status`, `lock break`.
    Lock(LockArgs),
    /// Print a JSON schema: the desired state (default), the saved plan, the recorded
    /// snapshot or the apply report.
    Schema(SchemaArgs),
    /// Print a plan saved with `plan --out`, as text (or JSON, or Markdown). Sends no request
    /// and needs no credentials or desired state.
    Show(ShowArgs),
    /// Print the chain of numbers and rules behind one device pool's, rack's or runner pool's
    /// decision (demand, free, in flight, stuck, cooling down, caps, group share, schedule,
    /// bound; each device, machine or runner and why), from a fresh reading or a recorded
    /// snapshot. Changes nothing.
    Explain(ExplainArgs),
    /// Print a completion script for SHELL on stdout, e.g.
    /// `devicepool completions bash > /etc/bash_completion.d/devicepool`.
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout, e.g. `devicepool man > devicepool.1`.
    Man,
    /// Run plan → apply → plan against the built-in simulated fleet (no credentials, no
    /// network) and show that the second plan starts nothing. Needs the default `sim` feature.
    Demo(DemoArgs),
    /// The simulated fleet as a service, to try devicepool's real commands against (see
    /// `sim serve --help`). Needs the default `sim` feature.
    Sim(SimArgs),
    /// The simulated fleet's stand-in for the `hyperexecute` CLI.
    #[command(name = "__sim-hyperexecute", hide = true)]
    SimHyperexecute {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// The desired-state file.
#[derive(Debug, Args)]
pub struct ConfigArg {
    /// Desired-state YAML file.
    #[arg(default_value = "plans/devicepool.yaml", env = "DEVICEPOOL_CONFIG")]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Also write the plan as versioned JSON to this file (for `apply --plan`).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Output format on stdout (markdown: tables for a CI job summary).
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Exit 2 when the plan has changes (0 when it has none).
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Also write what this run read as a versioned JSON snapshot (no secrets) to this file.
    #[arg(long, value_name = "FILE", conflicts_with = "from_snapshot")]
    pub record: Option<PathBuf>,
    /// Plan offline from a snapshot written by `--record`: no request, no credentials, the
    /// same plan every time. For review only: `--out` is refused with it, and `apply --plan`
    /// refuses a replayed plan. Pools the snapshot never read are held.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["out", "metrics_file", "metrics_push"])]
    pub from_snapshot: Option<PathBuf>,
    /// Print, instead of the plan, a unified diff of the plans of this desired state and of
    /// OTHER.yaml on the same snapshot (live or `--from-snapshot`): how a change alters the
    /// decisions. Exit 0.
    #[arg(long, value_name = "OTHER.yaml", conflicts_with_all = ["out", "format", "detailed_exitcode", "metrics_file", "metrics_push"])]
    pub compare: Option<PathBuf>,
    #[command(flatten)]
    pub partition: PartitionArgs,
    #[command(flatten)]
    pub metrics: MetricsArg,
}

/// Which device pools, racks and runner pools a run covers.
#[derive(Debug, Args)]
pub struct PartitionArgs {
    /// Only the device pools, racks and runner pools whose name matches GLOB (`*` any run of
    /// characters, `?` one); repeatable. The others are neither read nor planned. A GLOB that
    /// matches no name is an error that lists the names.
    #[arg(long = "pool", value_name = "GLOB")]
    pub pools: Vec<String>,
    /// Leave out those whose name matches GLOB (after --pool); repeatable.
    #[arg(long = "exclude-pool", value_name = "GLOB")]
    pub exclude_pools: Vec<String>,
}

impl PartitionArgs {
    /// The globs as the partition `load` applies.
    pub fn partition(&self) -> crate::load::partition::Partition {
        crate::load::partition::Partition {
            include: self.pools.clone(),
            exclude: self.exclude_pools.clone(),
        }
    }
}

/// Where to write the run's metrics.
#[derive(Debug, Args)]
pub struct MetricsArg {
    /// Also write this run's metrics to FILE in the Prometheus textfile-collector format
    /// (atomically, mode 0644): per pool, per API, per action, the last run and the last
    /// success. Written even when the run fails; not with --from-snapshot or --compare.
    #[arg(long, value_name = "FILE", env = "DEVICEPOOL_METRICS_FILE")]
    pub metrics_file: Option<PathBuf>,
    /// Also push this run's metrics to the Prometheus Pushgateway at URL (PUT, replacing
    /// the group job=devicepool, fleet, partition), carrying the last success and held-run
    /// counts on from what the previous push left there. A failed push is a warning, never
    /// a failed run. Not with --from-snapshot or --compare.
    #[arg(long, value_name = "URL", env = "DEVICEPOOL_METRICS_PUSH")]
    pub metrics_push: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Apply only the actions of a fresh plan that this saved plan selects unchanged (labels,
    /// tags, names and job files always come from the fresh plan); the other saved actions are
    /// skipped and reported. An expired plan or one made from another file is refused.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
    #[command(flatten)]
    pub partition: PartitionArgs,
    #[command(flatten)]
    pub metrics: MetricsArg,
    /// After applying, read the fleet back and check what apply promises: no device this run
    /// started a job on with two jobs of ours in flight, no runner pool this run started
    /// runners for above `max_runners` (others are notes). A broken promise exits 6.
    #[arg(long)]
    pub verify: bool,
    /// Do not ask for confirmation (never asked when stdin is not a terminal or when there is
    /// nothing to do; any answer but `yes` exits 1).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// When another run holds the lock (the state directory's file lock or the
    /// `settings.lock` lease), wait up to DURATION (e.g. `10m`) for it instead of exiting 5.
    #[arg(long, value_name = "DURATION", value_parser = crate::load::parse_duration)]
    pub wait_lock: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    #[command(subcommand)]
    pub command: LockCommand,
}

#[derive(Debug, Subcommand)]
pub enum LockCommand {
    /// Show who holds the run lock (the `settings.lock` lease, else the state directory's
    /// file lock) and the run record: the last mutation sent and the last successful run.
    Status(ConfigArg),
    /// Remove a stale holder of the `settings.lock` lease after typing `yes` (like
    /// Terraform's force-unlock). Refused while the holder's lease has not run out, unless
    /// --force. The file lock never needs breaking: the kernel releases it.
    Break(LockBreakArgs),
}

#[derive(Debug, Args)]
pub struct LockBreakArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Remove the holder even though its lease has not run out (only when that holder is
    /// known to be dead: a live holder would go on mutating).
    #[arg(long)]
    pub force: bool,
    /// Do not ask for the typed confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The saved plan (`plan --out`).
    #[arg(value_name = "PLAN.json")]
    pub plan: PathBuf,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The device pool, rack or runner pool to explain.
    pub name: String,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Explain from a snapshot saved with `plan --record`: no credentials, no request.
    #[arg(long, value_name = "FILE")]
    pub from_snapshot: Option<PathBuf>,
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// Only this device pool, rack or runner pool.
    #[arg(long)]
    pub pool: Option<String>,
    /// Render for this device, which the pool must list (default: the pool's first device).
    #[arg(long)]
    pub udid: Option<String>,
    /// Render rack deploys for this agent (default: `example-agent`).
    #[arg(long)]
    pub agent: Option<String>,
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum, default_value_t = SchemaKind::Desired)]
    pub kind: SchemaKind,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output format of the plans and report on stdout.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Also write the first plan's page (as `plan --format html` prints it) to FILE.
    #[arg(long, value_name = "FILE")]
    pub page: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// How a plan is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    /// GitHub-flavoured Markdown, for a job summary.
    Markdown,
    /// One static HTML page: the fleet as a grid, a cell per device, machine and runner.
    Html,
}

/// How an apply report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
    /// One static HTML page: the fleet as a grid, each action's outcome on its cell.
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// The desired-state file (`schemas/devicepool.schema.json`).
    Desired,
    /// A saved plan (`schemas/plan.schema.json`).
    Plan,
    /// A recorded snapshot, `plan --record` (`schemas/snapshot.schema.json`).
    Snapshot,
    /// The apply report, `apply --format json` (`schemas/report.schema.json`).
    Report,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    #[command(subcommand)]
    pub command: SimCommand,
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Start the whole simulated fleet on loopback and serve it until stopped.
    ///
    /// Starts fakes of Taskcluster, LambdaTest, MAAS, Testflinger and GitLab (HTTP on
    /// 127.0.0.1), a fake Docker daemon on a unix socket and a fake `hyperexecute` CLI, then
    /// writes the --info file (JSON, mode 0600, atomically): every fake's base URL under
    /// `sources` (the keys of a desired state's `sources`), the Docker host, the fake CLI's
    /// path, the process id, and under `env` the simulated credentials as the environment
    /// variables a desired state reads them from (sim-only values). Point a desired state at
    /// those URLs, export those variables, and run `plan` and `apply` against it.
    ///
    /// With --config, the fleet is seeded for that desired state: every listed UDID an active
    /// device and as many pending tasks as devices per task queue; per rack three MAAS
    /// machines carrying its tags, each with a waiting Testflinger agent; per runner pool its
    /// image and two pending GitLab jobs with its tags in each of its projects. Without it the
    /// fleet starts empty. Nothing is read from the network and no credential is needed.
    ///
    /// Serves until SIGTERM or SIGINT, until stdin reaches its end when stdin is a pipe or a
    /// terminal (not when it is /dev/null), or until --for has passed; then removes the info
    /// file and exits 0.
    Serve(SimServeArgs),
}

#[derive(Debug, Args)]
pub struct SimServeArgs {
    /// Where to write the fleet's URLs, Docker host, fake CLI and credentials (JSON).
    #[arg(long, value_name = "FILE")]
    pub info: PathBuf,
    /// Desired-state YAML file to seed the fleet for (its URLs are ignored).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Stop after this long, e.g. `30s`, `10m`, `2h`.
    #[arg(long = "for", value_name = "DURATION", value_parser = crate::load::parse_duration)]
    pub duration: Option<std::time::Duration>,
}
