//! Launching one HyperExecute job: a private job directory (0700, files 0600) holding the job
//! file and the payload, the `hyperexecute` CLI run in it with a timeout and its output
//! captured, then the directory removed. Knows nothing about plans or pools.
//! The CLI is closed source: it gets a cleared environment plus the few variables it needs
//! to run (`PASSED_ENV`) and the LambdaTest credentials, never devicepool's other secrets.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::lock::RunLock;
use crate::secret::{Cut, Redactor, Secret};

/// The variables of devicepool's own environment the CLI inherits: where to find programs
/// and a home, locale and time zone, proxies and CA certificates. Nothing else: devicepool's
/// environment holds GitLab, MAAS, Testflinger and Taskcluster credentials.
const PASSED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "TMPDIR",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "all_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
];

/// Characters of CLI output kept in the report.
const OUTPUT_CHARS: usize = 2000;

/// Everything one launch needs.
pub(crate) struct Launch<'a> {
    pub cli: &'a Path,
    pub labels: &'a [String],
    /// The job file with real secrets.
    pub job_file: &'a str,
    /// Copied into the job directory as `user_script/`.
    pub payload_dir: Option<&'a Path>,
    /// Where the private job directory is created.
    pub work_dir: &'a Path,
    /// `LT_USERNAME` and `LT_ACCESS_KEY` for the CLI.
    pub env: &'a [(&'static str, Secret)],
    pub timeout: Duration,
    /// The run lock, handed to the CLI as stdin so the lock outlives a killed devicepool.
    pub lock: Option<&'a RunLock>,
}

/// What the CLI did.
#[derive(Debug)]
pub(crate) struct Outcome {
    pub exit_code: Option<i32>,
    /// stdout then stderr, secrets redacted, shortened.
    pub output: String,
    pub error: Option<String>,
    pub job_id: Option<String>,
}

/// Runs one launch start to finish; never panics on the CLI's behaviour.
pub(crate) fn launch(job: &Launch<'_>, redactor: &Redactor) -> Outcome {
    let dir = match private_dir(job.work_dir) {
        Ok(dir) => dir,
        Err(e) => {
            return failed(format!(
                "cannot create job directory in {}: {e}",
                job.work_dir.display()
            ));
        }
    };
    let outcome = run_in(dir.path(), job, redactor);
    if let Err(e) = dir.close() {
        tracing::warn!("could not remove a job directory: {e}");
    }
    outcome
}

fn run_in(dir: &Path, job: &Launch<'_>, redactor: &Redactor) -> Outcome {
    let config = dir.join("hyperexecute.yaml");
    if let Err(e) = write_private(&config, job.job_file.as_bytes()) {
        return failed(format!("cannot write the job file: {e}"));
    }
    if let Some(payload) = job.payload_dir
        && let Err(e) = copy_tree(payload, &dir.join("user_script"))
    {
        return failed(format!("cannot copy payload {}: {e}", payload.display()));
    }
    let (stdout_path, stderr_path) = (dir.join(".stdout"), dir.join(".stderr"));
    let files = (open_private(&stdout_path), open_private(&stderr_path));
    let (Ok(stdout), Ok(stderr)) = files else {
        return failed("cannot create output files in the job directory".into());
    };
    let mut command = Command::new(job.cli);
    command
        .arg("--no-track")
        .arg("--labels")
        .arg(job.labels.join(","))
        .arg("--config")
        .arg(&config)
        .arg("--exclude-external-binaries")
        // The CLI updates itself by default, and concurrent launches race on that update.
        .arg("--disable-updates")
        .current_dir(dir)
        .env_clear()
        .envs(
            PASSED_ENV
                .iter()
                .filter_map(|n| Some((n, std::env::var_os(n)?))),
        )
        .env("CI", "true")
        .stdin(match job.lock.map(RunLock::share) {
            Some(Ok(file)) => Stdio::from(file),
            _ => Stdio::null(),
        })
        .stdout(stdout)
        .stderr(stderr);
    for (key, value) in job.env {
        command.env(key, value.expose());
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return failed(format!("cannot run {}: {e}", job.cli.display())),
    };
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if started.elapsed() > job.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(format!("still running after {:?}: killed", job.timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => break Err(format!("cannot wait for the CLI: {e}")),
        }
    };
    let read = |p: &Path| fs::read_to_string(p).unwrap_or_default();
    let raw = format!("{}{}", read(&stdout_path), read(&stderr_path));
    let output = redactor.excerpt(
        &raw,
        Cut {
            chars: OUTPUT_CHARS,
            fold_whitespace: false,
        },
    );
    let job_id = find_job_id(&raw);
    match status {
        Ok(status) if status.success() => Outcome {
            exit_code: status.code(),
            output,
            error: None,
            job_id,
        },
        Ok(status) => Outcome {
            exit_code: status.code(),
            output,
            error: Some(match status.code() {
                Some(code) => format!("hyperexecute exited with status {code}"),
                None => "hyperexecute was killed by a signal".to_string(),
            }),
            job_id,
        },
        Err(message) => Outcome {
            exit_code: None,
            output,
            error: Some(message),
            job_id,
        },
    }
}

fn failed(message: String) -> Outcome {
    Outcome {
        exit_code: None,
        output: String::new(),
        error: Some(message),
        job_id: None,
    }
}

/// Removes the `job-*` directories a killed run left in `work_dir` (their job files hold real
/// secrets); returns how many. The caller must hold the run lock: a CLI still running from
/// that run would hold it too, so none of these directories is in use. Follows no symbolic
/// link: a `work_dir` that is one is refused, a `job-*` entry that is one is skipped with a
/// warning.
pub(crate) fn remove_leftover_job_dirs(work_dir: &Path) -> Result<usize, crate::lock::UnsafeState> {
    crate::lock::refuse_symlink(work_dir)?;
    let Ok(entries) = fs::read_dir(work_dir) else {
        return Ok(0);
    };
    let removed = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("job-"))
        .filter(|e| {
            if let Err(refused) = crate::lock::refuse_symlink(&e.path()) {
                tracing::warn!("not a leftover job directory, left alone: {refused}");
                return false;
            }
            let removed = fs::remove_dir_all(e.path());
            if let Err(err) = &removed {
                tracing::warn!(path = %e.path().display(), "cannot remove a leftover job directory: {err}");
            }
            removed.is_ok()
        })
        .count();
    Ok(removed)
}

/// A fresh directory only we can read (tempfile creates it 0700), removed on drop.
fn private_dir(parent: &Path) -> std::io::Result<tempfile::TempDir> {
    crate::lock::refuse_symlink(parent).map_err(std::io::Error::other)?;
    fs::create_dir_all(parent)?;
    let dir = tempfile::Builder::new().prefix("job-").tempdir_in(parent)?;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o700))?;
    Ok(dir)
}

fn open_private(path: &Path) -> std::io::Result<fs::File> {
    fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    open_private(path)?.write_all(bytes)
}

/// Copies a payload tree; files keep their execute bit but lose group/other access.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir(to)?;
    fs::set_permissions(to, fs::Permissions::from_mode(0o700))?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target: PathBuf = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &target)?;
            let mode = entry.metadata()?.permissions().mode() & 0o700;
            fs::set_permissions(&target, fs::Permissions::from_mode(mode | 0o600))?;
        }
    }
    Ok(())
}

/// The CLI prints a job link holding `jobId=<uuid>`.
pub(crate) fn find_job_id(output: &str) -> Option<String> {
    let start = output.find("jobId=")? + "jobId=".len();
    let id: String = output[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
#[path = "hyperexecute_tests.rs"]
mod tests;
