//! LOAD: read a desired-state file, check it against the schema and the semantic rules, and
//! hand back typed data. Every problem carries file:line:col and the key. Sends no request.

mod credentials;
pub(crate) mod duration;
mod identifiers;
mod input;
mod lock_checks;
mod lock_model;
mod model;
pub mod partition;
pub(crate) mod section;
mod source_model;
mod suggest;
mod tree;
mod validate;
mod values;

use std::fmt;
use std::path::{Path, PathBuf};

pub use crate::reconcilers::device_pools::config::DevicePool;
pub use crate::reconcilers::racks::config::Rack;
pub use crate::reconcilers::runner_pools::config::RunnerPool;
pub use credentials::SecretFrom;
pub(crate) use duration::parse as parse_duration;
pub use identifiers::identifier_flaw;
pub(crate) use identifiers::is_invisible;
pub use input::{MAX_INPUT_BYTES, read_input};
pub use lock_model::{EtcdLock, KubernetesLock, LockSettings};
pub use model::{
    DEFAULT_STATE_DIR, Desired, DesiredKinds, DesiredKindsMut, HttpSettings, LaunchSettings,
    Settings, Sources,
};
pub use source_model::{
    DockerSource, GitlabSource, LambdatestSource, MaasSource, TaskclusterSource, TestflingerSource,
};
use tree::{LocatedDocument, Position};
pub use values::{MAX_DURATION, check_template_name, template_keys};

/// A desired-state file that passed every check.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file as given on the command line.
    pub path: PathBuf,
    /// The typed desired state.
    pub desired: Desired,
    /// SHA-256 digest of the file's bytes (`sha256:<hex>`); a saved plan remembers it.
    pub hash: String,
    document: LocatedDocument,
}

impl Loaded {
    /// Resolves a path written in the file relative to the file's directory.
    pub fn resolve(&self, relative: &Path) -> PathBuf {
        self.dir().join(relative)
    }

    fn dir(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The directory for the run lock and private job directories: `settings.state_dir`
    /// (relative to the file) when written; else `$STATE_DIRECTORY` (set by systemd's
    /// `StateDirectory=`; the first of several); else [`DEFAULT_STATE_DIR`] beside the file.
    pub fn state_dir(&self, lookup: &dyn Fn(&str) -> Option<String>) -> PathBuf {
        if let Some(dir) = &self.desired.settings.state_dir {
            return self.resolve(dir);
        }
        let from_systemd = lookup("STATE_DIRECTORY")
            .and_then(|dirs| dirs.split(':').next().map(str::to_string))
            .filter(|dir| !dir.is_empty());
        match from_systemd {
            Some(dir) => PathBuf::from(dir),
            None => self.resolve(Path::new(DEFAULT_STATE_DIR)),
        }
    }

    /// Checks that every secret a run needs is there: each variable set and not empty, each
    /// file readable and not empty; names the variable or path, never the value. Reading
    /// needs the credentials of the sources in use; launching also needs each enabled
    /// pool's Taskcluster token.
    pub fn check_env(
        &self,
        lookup: &dyn Fn(&str) -> Option<String>,
        purpose: Purpose,
    ) -> Result<(), ConfigError> {
        let problems = credentials::check_available(
            &self.desired,
            self.dir(),
            lookup,
            purpose == Purpose::Launch,
        );
        self.fail_if_any(problems)
    }

    /// The value of one secret (from its variable or file), or `None` when it is not there.
    pub fn secret(
        &self,
        from: Option<SecretFrom<'_>>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Option<String> {
        credentials::read_secret(from?, self.dir(), lookup)
    }

    /// Checks that every directory the file names for launching exists.
    pub fn check_paths(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        for (name, pool) in &self.desired.device_pools {
            if let Some(dir) = &pool.payload_dir
                && !self.resolve(dir).is_dir()
            {
                problems.push(validate::Problem {
                    pointer: format!("/device_pools/{}/payload_dir", tree::escape(name)),
                    key_name: None,
                    message: format!("{} is not a directory", self.resolve(dir).display()),
                });
            }
        }
        self.fail_if_any(problems)
    }

    /// A configuration error for problems found outside this module (templates), each
    /// given as (JSON pointer of the key it is about, message).
    pub fn invalid_at(&self, problems: impl IntoIterator<Item = (String, String)>) -> ConfigError {
        let problems = problems
            .into_iter()
            .map(|(pointer, message)| validate::Problem {
                pointer,
                key_name: None,
                message,
            })
            .collect();
        ConfigError::Invalid {
            path: self.path.clone(),
            problems: locate(&self.document, problems),
        }
    }

    /// Warnings found outside this module (settings that load but may not do what is
    /// meant), each given as (JSON pointer, message): one `<file:line:col>: <key>: <message>`
    /// line each.
    pub fn located_lines(
        &self,
        warnings: impl IntoIterator<Item = (String, String)>,
    ) -> Vec<String> {
        let ConfigError::Invalid { path, problems } = self.invalid_at(warnings) else {
            return Vec::new();
        };
        problems.iter().map(|p| describe(&path, p)).collect()
    }

    fn fail_if_any(&self, problems: Vec<validate::Problem>) -> Result<(), ConfigError> {
        if problems.is_empty() {
            return Ok(());
        }
        Err(ConfigError::Invalid {
            path: self.path.clone(),
            problems: locate(&self.document, problems),
        })
    }
}

/// What a run is about to do, which decides the secrets it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Read the APIs and plan.
    Read,
    /// Read, plan and launch jobs.
    Launch,
    /// Plan from a recorded snapshot: no request, so no credentials.
    Replay,
}

/// One problem found in a desired-state file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub column: u64,
    /// Dotted key path, e.g. `device_pools.a55.devices[2]`.
    pub key: String,
    pub message: String,
}

/// Why a desired-state file cannot be used.
#[derive(Debug)]
pub enum ConfigError {
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

impl std::error::Error for ConfigError {}

/// One problem as `<file:line:col>: <key>: <message>` (no key when it has none).
fn describe(path: &Path, p: &Problem) -> String {
    let at = format!("{}:{}:{}", path.display(), p.line, p.column);
    if p.key.is_empty() {
        format!("{at}: {}", p.message)
    } else {
        format!("{at}: {}: {}", p.key, p.message)
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Invalid { path, problems } => {
                let count = problems.len();
                let noun = if count == 1 { "problem" } else { "problems" };
                write!(f, "{} has {count} {noun}:", path.display())?;
                for p in problems {
                    write!(f, "\n  {}", describe(path, p))?;
                }
                Ok(())
            }
        }
    }
}

/// Reads and checks a desired-state file (a regular file of at most [`MAX_INPUT_BYTES`]).
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let text = read_input(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(path, &text)
}

/// Checks desired-state text that came from `path`.
pub fn parse(path: &Path, text: &str) -> Result<Loaded, ConfigError> {
    let invalid = |problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let document = LocatedDocument::parse(text).map_err(|e| invalid(vec![syntax_problem(&e)]))?;
    if !document.null_keys().is_empty() {
        return Err(invalid(null_key_problems(&document)));
    }
    let schema_problems = validate::check_schema(&document.value);
    if !schema_problems.is_empty() {
        return Err(invalid(locate(&document, schema_problems)));
    }
    let desired: Desired =
        serde_saphyr::from_str(text).map_err(|e| invalid(vec![syntax_problem(&e)]))?;
    let loaded = Loaded {
        path: path.to_path_buf(),
        hash: digest(text.as_bytes()),
        desired,
        document,
    };
    let mut problems = validate::check_semantics(&loaded.desired);
    problems.extend(credentials::check_choices(
        &loaded.desired,
        &loaded.document.value,
    ));
    loaded.fail_if_any(problems)?;
    Ok(loaded)
}

/// The JSON schema of the desired state, as committed in `schemas/`.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Desired)).expect("schema serialises")
}

/// SHA-256 of the file as `sha256:<hex>`: a saved plan may come from anyone, so telling its
/// desired state apart from another must not rest on a hash that can be steered to collide.
pub fn digest(bytes: &[u8]) -> String {
    use sha2::Digest;
    let sum = sha2::Sha256::digest(bytes);
    let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn syntax_problem(error: &serde_saphyr::Error) -> Problem {
    let (line, column) = error.location().map_or((1, 1), |l| (l.line(), l.column()));
    // The rendered message repeats the location and a snippet; keep the first line only,
    // without the location prefix and the library's advice about its own options.
    let rendered = error.to_string();
    let mut message = rendered.lines().next().unwrap_or("invalid YAML").trim();
    message = message.strip_prefix("error: ").unwrap_or(message);
    if let Some(rest) = message.strip_prefix("line ")
        && let Some((_, tail)) = rest.split_once(": ")
    {
        message = tail;
    }
    let message = message
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(message)
        .to_string();
    Problem {
        line,
        column,
        key: String::new(),
        message,
    }
}

/// A null key is a name left out (`~:`, `null:` or a bare `:`): said so where it sits, before
/// the typed reading would say only that null is not a string.
fn null_key_problems(document: &LocatedDocument) -> Vec<Problem> {
    let null_keys = document.null_keys().iter();
    null_keys
        .map(|(pointer, Position { line, column })| Problem {
            line: *line,
            column: *column,
            key: dotted(pointer),
            message: "a name is missing: this key is null (`~`, `null` or nothing before the \
                      colon); write the name, quoted if it is `null`"
                .to_string(),
        })
        .collect()
}

fn locate(document: &LocatedDocument, problems: Vec<validate::Problem>) -> Vec<Problem> {
    let mut located: Vec<Problem> = problems
        .into_iter()
        .map(|p| {
            let Position { line, column } = match &p.key_name {
                Some(name) => document.key_position(&p.pointer, name),
                None => document.position(&p.pointer),
            };
            let mut key = dotted(&p.pointer);
            if let Some(name) = &p.key_name {
                // An empty key would vanish from the path: show it quoted.
                let name = if name.is_empty() { "\"\"" } else { name };
                key = if key.is_empty() {
                    name.to_string()
                } else {
                    format!("{key}.{name}")
                };
            }
            Problem {
                line,
                column,
                key,
                message: p.message,
            }
        })
        .collect();
    located.sort_by_key(|p| (p.line, p.column));
    located.dedup();
    located
}

/// `/device_pools/a55/devices/2` → `device_pools.a55.devices[2]`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    for (i, segment) in segments.iter().enumerate() {
        let mut segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.is_empty() && i + 1 < segments.len() {
            // An empty name would vanish from the path: show it quoted.
            segment = "\"\"".to_string();
        }
        if segment.chars().all(|c| c.is_ascii_digit()) && !segment.is_empty() {
            out.push_str(&format!("[{segment}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&segment);
        }
    }
    out
}
