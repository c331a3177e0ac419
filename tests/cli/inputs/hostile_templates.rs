//! Hostile templates: one that loops, one that writes gigabytes, one that includes a file
//! from outside `templates_dir`, one that includes a secret, one that is missing or does
//! not parse. Each costs only its own pool (or, when it cannot even be read, stops the run
//! with file:line:col before any request), and no secret value reaches any output.

use std::time::{Duration, Instant};

use base64::Engine as _;
use devicepool_sim::{SIM_ACCESS_KEY, SIM_USERNAME};

use super::{expect_rejected, lab_and_config, line_of, line_with};
use crate::support::{Lab, pool_of, tried};

/// The lab's config with `templates_dir: ../templates`, pool a55 using `template`, and the
/// files written under `templates/`.
fn lab_with_template(template: &str, files: &[(&str, &str)]) -> (Lab, String) {
    let (lab, yaml) = lab_and_config();
    std::fs::create_dir_all(lab.path("templates")).unwrap();
    for (name, text) in files {
        std::fs::write(lab.path("templates").join(name), text).unwrap();
    }
    let yaml = yaml
        .replacen(
            "settings:\n",
            "settings:\n  templates_dir: ../templates\n",
            1,
        )
        .replacen(
            "    client_id: project/autophone/a55\n",
            &format!("    client_id: project/autophone/a55\n    template: {template}\n"),
            1,
        );
    std::fs::write(&lab.config, &yaml).unwrap();
    (lab, yaml)
}

/// Plans as JSON; a55 must be held with `reason_part` in its reason, p9 unharmed.
fn expect_only_a55_held(lab: &Lab, reason_part: &str) {
    let started = Instant::now();
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "plan took {:?}",
        started.elapsed()
    );
    out.expect_code(4);
    let plan = out.json();
    let a55 = pool_of(&plan, "a55");
    assert_eq!(a55["status"]["state"], "held", "{a55}");
    let reason = a55["reason"].as_str().unwrap();
    assert!(reason.contains(reason_part), "{reason}");
    assert!(a55["starts"].as_array().unwrap().is_empty());
    assert_eq!(pool_of(&plan, "p9")["starts"].as_array().unwrap().len(), 2);
}

#[test]
fn a_template_that_loops_too_long_holds_only_its_pool() {
    let looped = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}";
    let (lab, _) = lab_with_template("loop.j2", &[("loop.j2", looped)]);
    expect_only_a55_held(&lab, "was stopped");
}

#[test]
fn a_template_that_writes_gigabytes_holds_only_its_pool() {
    let large = "{% for a in range(100000) %}{{ 'x' * 100000 }}{% endfor %}";
    let (lab, _) = lab_with_template("large.j2", &[("large.j2", large)]);
    expect_only_a55_held(&lab, "output passed 1048576 bytes");
}

#[test]
fn an_include_cannot_leave_templates_dir() {
    let (lab, _) = lab_with_template(
        "job.j2",
        &[("job.j2", "{% include '../plans/devicepool.yaml' %}")],
    );
    expect_only_a55_held(&lab, "stay inside settings.templates_dir");
    // Nor through a symlink that points out of it.
    std::os::unix::fs::symlink(&lab.config, lab.path("templates/outside.j2")).unwrap();
    std::fs::write(lab.path("templates/job.j2"), "{% include 'outside.j2' %}").unwrap();
    expect_only_a55_held(&lab, "leads outside settings.templates_dir");
}

#[test]
fn a_missing_or_unparsable_template_stops_the_run_at_its_key() {
    let (lab, yaml) = lab_with_template("absent.j2", &[]);
    let line = line_of(&yaml, "template: absent.j2");
    let missing =
        "device_pools.a55.template: template \"absent.j2\" is not in settings.templates_dir";
    expect_rejected(&lab, &yaml, &format!("{line}:15"), missing);
    let (lab, yaml) = lab_with_template("broken.j2", &[("broken.j2", "{% for x in %}\n")]);
    let line = line_of(&yaml, "template: broken.j2");
    expect_rejected(
        &lab,
        &yaml,
        &format!("{line}:15"),
        "template \"broken.j2\": syntax error",
    );
    lab.run(&["validate", lab.config_arg()]).expect_code(1);
}

/// A template that includes a file holding the LambdaTest key, in the clear and as the
/// Basic credentials it makes: `render`, `plan --format json` and `plan --out` all show
/// `<redacted>` (the secret guard fails the test on any leak, in output or on disk).
#[test]
fn a_secret_a_template_includes_is_redacted_in_every_output() {
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{SIM_USERNAME}:{SIM_ACCESS_KEY}"));
    let creds = format!("# key {SIM_ACCESS_KEY}\n# basic {basic}\n");
    let job = "{% include 'creds.txt' %}fixedIP: {{ udid }}\n";
    let (lab, _) = lab_with_template("job.j2", &[("job.j2", job), ("creds.txt", &creds)]);
    let render = lab.run(&["render", lab.config_arg(), "--pool", "a55"]);
    render.expect_code(0);
    assert!(
        render
            .stdout
            .contains("# key <redacted>\n# basic <redacted>\n"),
        "{}",
        render.stdout
    );
    let plan = lab.run(&[
        "plan",
        lab.config_arg(),
        "--format",
        "json",
        "--out",
        "plan.json",
    ]);
    plan.expect_code(0);
    let job_file = pool_of(&plan.json(), "a55")["starts"][0]["job_file"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        job_file.starts_with("# key <redacted>\n# basic <redacted>\n"),
        "{job_file}"
    );
    let saved = std::fs::read_to_string(lab.path("plan.json")).unwrap();
    assert!(saved.contains("# key <redacted>"), "{saved}");
    // The test wrote this file itself; the lab's scan is for what devicepool leaves.
    std::fs::remove_file(lab.path("templates/creds.txt")).unwrap();
}

/// A CLI that prints the credentials it was given, Basic-encoded and base64-encoded: the
/// apply report shows `<redacted>` in their place.
#[test]
fn the_cli_output_is_scrubbed_of_encoded_credentials() {
    let (lab, yaml) = lab_and_config();
    let script = lab.path("echoing-cli");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'Authorization: Basic %s\\n' \"$(printf '%s:%s' \"$LT_USERNAME\" \"$LT_ACCESS_KEY\" | base64 -w0)\"\nprintf 'debug %s\\n' \"$(printf 'key=%s;' \"$LT_ACCESS_KEY\" | base64 -w0)\"\nexit 1\n",
    )
    .unwrap();
    let executable = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&script, executable).unwrap();
    let cli = line_with(&yaml, "    cli: ");
    std::fs::write(
        &lab.config,
        yaml.replace(&cli, &format!("    cli: {}", script.display())),
    )
    .unwrap();
    let out = lab.run(&["apply", lab.config_arg(), "--format", "json"]);
    let report = out.json();
    let output = tried(&report, "device_pool")[0]["output"]
        .as_str()
        .expect("launch output");
    let (basic, debug) = output.split_once('\n').expect("two lines");
    assert_eq!(basic, "Authorization: Basic <redacted>");
    // Only the characters that also encode `key=` and `;` stay around the marker.
    let left = debug
        .strip_prefix("debug ")
        .unwrap()
        .replace("<redacted>", "");
    assert!(debug.contains("<redacted>") && left.len() <= 9, "{output}");
}

#[test]
fn a_template_that_fails_only_with_the_real_token_does_not_print_it() {
    // Renders when shown (the token is `<redacted>`), fails when apply renders it for real:
    // the error must not quote the context it was given (minijinja's variable dump).
    let sly = "{% if taskcluster.access_token == '<redacted>' %}ok: {{ udid }}\n\
               {% else %}{{ taskcluster.access_token ~ nothing.here }}{% endif %}\n";
    let (lab, _) = lab_with_template("sly.j2", &[("sly.j2", sly)]);
    let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    plan.expect_code(0);
    assert!(
        !pool_of(&plan.json(), "a55")["starts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // The guard (support/invocation.rs) fails the test if a token shows in stdout or stderr.
    let out = lab.run(&["apply", lab.config_arg(), "--yes", "--format", "json"]);
    // A start the plan promised and apply could not render is a failed action: exit 3.
    out.expect_code(3);
    let report = out.json();
    let failed: Vec<&serde_json::Value> = tried(&report, "device_pool")
        .into_iter()
        .filter(|a| a["outcome"] == "failed")
        .collect();
    assert!(!failed.is_empty(), "{report:#}");
    for action in failed {
        assert_eq!(action["error"]["class"], "render", "{action:#}");
        let message = action["error"]["message"].as_str().unwrap();
        assert!(message.contains("job file cannot be rendered"), "{message}");
        assert!(message.contains("sly.j2"), "{message}");
    }
    assert!(
        lab.fleet.lambdatest.launches().iter().all(|j| !j
            .labels
            .iter()
            .flatten()
            .any(|l| l == "a55")),
        "nothing of a55 is launched"
    );
}
