//! Logging setup: tracing to stderr (stdout carries only plans and reports), text or JSON,
//! filtered by `DEVICEPOOL_LOG` or -v/-q. HTTP library internals are capped at `warn` so no
//! header can reach the log at any level.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Directives appended to every filter: third-party crates that could log request details.
const QUIET_DEPENDENCIES: &str = "ureq=warn,ureq_proto=warn,rustls=warn";

/// Installs the global subscriber once.
pub fn init(format: LogFormat, verbosity: i8) {
    let base = match std::env::var("DEVICEPOOL_LOG") {
        Ok(filter) if !filter.trim().is_empty() => filter,
        _ => match verbosity {
            i8::MIN..=-1 => "error",
            0 => "warn",
            1 => "info",
            2 => "debug",
            _ => "trace",
        }
        .to_string(),
    };
    let filter = EnvFilter::try_new(format!("{base},{QUIET_DEPENDENCIES}"))
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,{QUIET_DEPENDENCIES}")));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let result = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    // A second init (tests, demo) keeps the first subscriber.
    drop(result);
}
