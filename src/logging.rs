//! Logging setup: tracing to stderr (stdout carries only plans and reports), text or JSON,
//! filtered by `DEVICEPOOL_LOG` or -v/-q. HTTP library internals are capped at `warn` so no
//! header can reach the log at any level. A `DEVICEPOOL_LOG` that names no level (a typo such
//! as `degub` would silence every warning) is refused before anything runs.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Directives appended to every filter: third-party crates that could log request details.
const QUIET_DEPENDENCIES: &str = "ureq=warn,ureq_proto=warn,rustls=warn";

/// The variable that overrides `-v`/`-q` with a filter.
const LOG_VAR: &str = "DEVICEPOOL_LOG";

/// The level names a filter directive may use.
const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];

/// Refuses a `DEVICEPOOL_LOG` filter with a directive that sets no known level: a bare word
/// other than a level (`degub`), or `target=` followed by something other than a level.
/// Span filters (`target[span]=level`) are left to the filter itself.
pub fn check_filter(filter: &str) -> Result<(), String> {
    let is_level = |word: &str| {
        let word = word.trim();
        // The filter also takes a level by number: 0 is off, 1 error … 5 trace.
        LEVELS.iter().any(|l| l.eq_ignore_ascii_case(word))
            || ["0", "1", "2", "3", "4", "5"].contains(&word)
    };
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let level = match directive.rsplit_once('=') {
            Some((_, level)) => level,
            None if directive.contains('[') => continue,
            None => directive,
        };
        if !is_level(level) {
            return Err(format!(
                "{LOG_VAR}={filter:?}: {directive:?} sets no level; use one of {} \
                 (e.g. {LOG_VAR}=debug), or target=level directives (e.g. devicepool=debug), \
                 or unset it for the default (warn)",
                LEVELS.join(", ")
            ));
        }
    }
    Ok(())
}

/// Installs the global subscriber once; a `DEVICEPOOL_LOG` that [`check_filter`] refuses is
/// returned as the error, and nothing is installed.
pub fn init(format: LogFormat, verbosity: i8) -> Result<(), String> {
    let base = match std::env::var(LOG_VAR) {
        Ok(filter) if !filter.trim().is_empty() => {
            check_filter(&filter)?;
            filter
        }
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
    Ok(())
}

#[cfg(test)]
#[path = "logging_tests.rs"]
mod tests;
