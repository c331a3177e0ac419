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
mod tests {
    use super::*;
    use crate::{Fault, LambdatestSim, SIM_ACCESS_KEY, SIM_USERNAME};

    const YAML: &str = "version: \"0.2\"\nrunson: android\nconcurrency: 1\nframework:\n  name: raw\n  args:\n    fixedIP: R5CX1\n    privateCloud: true\n";

    fn setup(yaml: &str) -> (LambdatestSim, tempfile::TempDir, String) {
        let lt = LambdatestSim::start().expect("start");
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("hyperexecute.yaml");
        std::fs::write(&cfg, yaml).expect("write");
        (lt, dir, cfg.to_string_lossy().into_owned())
    }

    fn run_in(lt: &LambdatestSim, args: &[&str], creds: bool) -> i32 {
        let url = lt.url();
        let env = move |k: &str| match k {
            URL_ENV => Some(url.clone()),
            "LT_USERNAME" if creds => Some(SIM_USERNAME.to_string()),
            "LT_ACCESS_KEY" if creds => Some(SIM_ACCESS_KEY.to_string()),
            _ => None,
        };
        run_with(args.iter().map(|s| s.to_string()).collect(), &env)
    }

    #[test]
    fn launches_a_job_with_labels() {
        let (lt, _dir, cfg) = setup(YAML);
        let args = [
            "--no-track",
            "--labels=tcdp,a55,R5CX1",
            "-i",
            &cfg,
            "--exclude-external-binaries",
        ];
        assert_eq!(run_in(&lt, &args, true), 0);
        let args = [
            "--no-track",
            "--labels",
            "x",
            "--config",
            &cfg,
            "-u",
            SIM_USERNAME,
            "-k",
            SIM_ACCESS_KEY,
        ];
        assert_eq!(run_in(&lt, &args, false), 0);
        let launches = lt.launches();
        assert_eq!(launches.len(), 2);
        assert_eq!(
            launches[0].labels,
            Some(vec!["tcdp".into(), "a55".into(), "R5CX1".into()])
        );
        assert_eq!(launches[0].fixed_ip.as_deref(), Some("R5CX1"));
        assert_eq!(launches[0].status, "initiated");
    }

    #[test]
    fn rejects_bad_usage_and_config() {
        let (lt, _dir, cfg) = setup(YAML);
        assert_eq!(run_in(&lt, &["--no-track", "-i", &cfg, "--bogus"], true), 2);
        assert_eq!(run_in(&lt, &["-i", &cfg], true), 2, "tracking unsupported");
        assert_eq!(
            run_in(&lt, &["--no-track", "-i", &cfg], false),
            1,
            "no credentials"
        );
        let (lt2, _dir2, cfg2) = setup(&YAML.replace("fixedIP: R5CX1", "fixedIP: \"\""));
        assert_eq!(run_in(&lt2, &["--no-track", "-i", &cfg2], true), 1);
        let (lt3, _dir3, cfg3) = setup(&YAML.replace("concurrency: 1", "concurrency: 2"));
        assert_eq!(
            run_in(&lt3, &["--no-track", "-i", &cfg3], true),
            1,
            "server refuses concurrency 2"
        );
        assert!(lt.launches().is_empty() && lt2.launches().is_empty() && lt3.launches().is_empty());
    }

    #[test]
    fn injected_server_error_fails_the_launch() {
        let (lt, _dir, cfg) = setup(YAML);
        lt.server()
            .inject("POST", "/__sim/launch", Fault::status(500).times(1));
        assert_eq!(run_in(&lt, &["--no-track", "-i", &cfg], true), 1);
        assert_eq!(run_in(&lt, &["--no-track", "-i", &cfg], true), 0);
        assert_eq!(lt.launches().len(), 1);
    }
}
