//! A fake `hyperexecute` CLI: parses the flags devicepool uses, validates the YAML config and
//! registers the job with the fake LambdaTest via `POST /__sim/launch`. It only supports
//! `--no-track` launches and must never print the access key.

use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

/// Env var holding the fake LambdaTest base URL (set by the script from `Fleet::write_fake_cli`).
pub const URL_ENV: &str = "DEVICEPOOL_SIM_LAMBDATEST_URL";

#[derive(Debug, Default)]
struct Options {
    no_track: bool,
    labels: Option<Vec<String>>,
    config: Option<PathBuf>,
    user: Option<String>,
    key: Option<String>,
    concurrency: Option<u64>,
}

/// Why the CLI stops, with its exit code.
struct Exit(i32, String);

/// Runs the fake CLI with the arguments after the subcommand name; returns the exit code.
pub fn run(args: Vec<String>) -> i32 {
    run_with(args, &|k| std::env::var(k).ok())
}

/// [`run`] with an explicit environment lookup (tests must not mutate the process env).
fn run_with(args: Vec<String>, env: &dyn Fn(&str) -> Option<String>) -> i32 {
    match launch(args, env) {
        Ok(out) => {
            println!("{out}");
            0
        }
        Err(Exit(code, msg)) => {
            eprintln!("hyperexecute (sim): {msg}");
            code
        }
    }
}

fn parse(args: Vec<String>) -> Result<Options, Exit> {
    let mut opts = Options::default();
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| Exit(2, format!("flag {name} needs a value")))
        };
        match flag.as_str() {
            "--no-track" => opts.no_track = true,
            "--exclude-external-binaries" | "--disable-updates" | "--force-clean-artifacts" => {}
            "--download-artifacts" => {}
            "--download-artifacts-path" => {
                value(&flag)?;
            }
            "--labels" => {
                let v = value(&flag)?;
                opts.labels = Some(
                    v.split(',')
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                );
            }
            "--config" | "-i" => opts.config = Some(PathBuf::from(value(&flag)?)),
            "-u" | "--user" => opts.user = Some(value(&flag)?),
            "-k" | "--key" => opts.key = Some(value(&flag)?),
            "--concurrency" => {
                let v = value(&flag)?;
                let n = v
                    .parse()
                    .map_err(|_| Exit(2, format!("invalid --concurrency {v:?}")))?;
                opts.concurrency = Some(n);
            }
            other => return Err(Exit(2, format!("unknown flag {other:?}"))),
        }
    }
    Ok(opts)
}

/// The fields of `hyperexecute.yaml` the fake checks.
struct Config {
    runson: String,
    concurrency: u64,
    fixed_ip: String,
    labels: Option<Vec<String>>,
}

fn read_config(path: &PathBuf) -> Result<Config, Exit> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Exit(1, format!("cannot read config {}: {e}", path.display())))?;
    let yaml: Value = serde_saphyr::from_str(&text)
        .map_err(|e| Exit(1, format!("invalid YAML in {}: {e}", path.display())))?;
    let missing = |field: &str| Exit(1, format!("config field `{field}` is missing or invalid"));
    if !(yaml["version"].is_string() || yaml["version"].is_number()) {
        return Err(missing("version"));
    }
    let runson = yaml["runson"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("runson"))?;
    let concurrency = yaml["concurrency"]
        .as_u64()
        .filter(|n| *n > 0)
        .ok_or_else(|| missing("concurrency"))?;
    let fixed_ip = yaml["framework"]["args"]["fixedIP"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| missing("framework.args.fixedIP"))?;
    let labels = yaml["jobLabel"].as_array().map(|a| {
        a.iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect()
    });
    Ok(Config {
        runson: runson.into(),
        concurrency,
        fixed_ip: fixed_ip.into(),
        labels,
    })
}

fn launch(args: Vec<String>, env: &dyn Fn(&str) -> Option<String>) -> Result<String, Exit> {
    let opts = parse(args)?;
    let env = |k: &str| env(k).filter(|v| !v.is_empty());
    let user = opts.user.clone().or_else(|| env("LT_USERNAME"));
    let key = opts.key.clone().or_else(|| env("LT_ACCESS_KEY"));
    let (Some(user), Some(key)) = (user, key) else {
        return Err(Exit(
            1,
            "missing credentials: pass -u/-k or set LT_USERNAME and LT_ACCESS_KEY".into(),
        ));
    };
    let config_path = opts
        .config
        .clone()
        .unwrap_or_else(|| PathBuf::from("hyperexecute.yaml"));
    let config = read_config(&config_path)?;
    if !opts.no_track {
        return Err(Exit(
            2,
            "job tracking is not supported by the fake CLI; pass --no-track".into(),
        ));
    }
    let base = env(URL_ENV).ok_or_else(|| Exit(1, format!("{URL_ENV} is not set")))?;
    let body = json!({
        "labels": opts.labels.or(config.labels),
        "fixed_ip": config.fixed_ip,
        "concurrency": opts.concurrency.unwrap_or(config.concurrency),
        "runson": config.runson,
    });
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let auth = format!("Basic {}", STANDARD.encode(format!("{user}:{key}")));
    let mut resp = agent
        .post(format!("{}/__sim/launch", base.trim_end_matches('/')))
        .header("Authorization", &auth)
        .send_json(&body)
        .map_err(|e| Exit(1, format!("cannot reach HyperExecute: {e}")))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    if !(200..300).contains(&status) {
        return Err(Exit(
            1,
            format!(
                "job launch failed: HTTP {status}: {}",
                text.replace(&key, "***")
            ),
        ));
    }
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| Exit(1, format!("unexpected launch response: {e}")))?;
    let (Some(id), Some(n)) = (v["id"].as_str(), v["job_number"].as_u64()) else {
        return Err(Exit(1, "launch response lacks id/job_number".into()));
    };
    Ok(format!(
        "Job Link: https://hyperexecute.lambdatest.com/hyperexecute/task?jobId={id}\nJob Number: {n}"
    ))
}

#[cfg(test)]
#[path = "fake_cli_tests.rs"]
mod tests;
