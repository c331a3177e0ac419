//! Bad desired state: each mistake gives file:line:col and the key, exits 1, and no request
//! is sent. Also the committed schemas must match the code.

mod hostile_names;
mod hostile_schedules;
mod hostile_templates;
mod hostile_values;

use crate::support::{Lab, devicepool, pool};

/// Writes `yaml` as the lab's config, runs `plan`, and checks the error and silence.
fn expect_rejected(lab: &Lab, yaml: &str, location: &str, needle: &str) {
    expect_refused_by("plan", lab, yaml, location, needle);
}

/// `validate` and `plan` both refuse `yaml` with `needle` at `location`; nothing is sent.
fn expect_refused(lab: &Lab, yaml: &str, location: &str, needle: &str) {
    for verb in ["validate", "plan"] {
        expect_refused_by(verb, lab, yaml, location, needle);
    }
}

/// Writes `yaml` as the lab's config, runs `verb`, and checks the error and silence.
fn expect_refused_by(verb: &str, lab: &Lab, yaml: &str, location: &str, needle: &str) {
    std::fs::write(&lab.config, yaml).unwrap();
    let out = lab.run(&[verb, lab.config_arg()]);
    out.expect_code(1);
    let expected = format!("{}:{location}", lab.config.display());
    assert!(
        out.stderr.contains(&expected),
        "{verb}: want {expected} in:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(needle),
        "{verb}: want {needle:?} in:\n{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        lab.requests().is_empty(),
        "a request was sent before validation finished"
    );
}

fn lab_and_config() -> (Lab, String) {
    let lab = Lab::new(vec![pool("a55", 2, 2), pool("p9", 2, 2)]);
    let yaml = lab.config_yaml();
    (lab, yaml)
}

/// The whole line of `yaml` holding `needle`.
fn line_with(yaml: &str, needle: &str) -> String {
    let line = yaml.lines().find(|l| l.contains(needle));
    line.expect("needle in yaml").to_string()
}

fn line_of(yaml: &str, needle: &str) -> usize {
    yaml.lines()
        .position(|l| l.contains(needle))
        .expect("needle in yaml")
        + 1
}

#[test]
fn malformed_yaml_points_at_the_line() {
    let (lab, yaml) = lab_and_config();
    let broken = yaml.replace("    retries: 1\n", "    retries: [1\n");
    let line = line_of(&broken, "retries: [1");
    let out = {
        std::fs::write(&lab.config, &broken).unwrap();
        lab.run(&["validate", lab.config_arg()])
    };
    out.expect_code(1);
    assert!(
        out.stderr.contains(&format!("{}:", lab.config.display())),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("devicepool.yaml:{}", line + 1))
            || out.stderr.contains(&format!("devicepool.yaml:{line}")),
        "{}",
        out.stderr
    );
    expect_rejected(&lab, &broken, "", "problem");
}

#[test]
fn an_unknown_key_is_named_at_its_position() {
    let (lab, yaml) = lab_and_config();
    let bad = yaml.replace(
        "    max_starts_per_run: 10\n    devices: [P9",
        "    max_starts_per_run: 10\n    max_start_per_run: 3\n    devices: [P9",
    );
    let line = line_of(&bad, "max_start_per_run");
    expect_rejected(
        &lab,
        &bad,
        &format!("{line}:5"),
        "device_pools.p9.max_start_per_run: unknown key",
    );
}

#[test]
fn a_wrong_type_is_named_at_its_value() {
    let (lab, yaml) = lab_and_config();
    let bad = yaml.replacen(
        "    max_starts_per_run: 10\n",
        "    max_starts_per_run: lots\n",
        1,
    );
    let line = line_of(&bad, "max_starts_per_run: lots");
    expect_rejected(
        &lab,
        &bad,
        &format!("{line}:25"),
        "device_pools.a55.max_starts_per_run",
    );
}

#[test]
fn a_duplicate_key_is_rejected_where_it_repeats() {
    let (lab, yaml) = lab_and_config();
    let bad = yaml.replacen("    retries: 1\n", "    retries: 1\n    retries: 2\n", 1);
    let line = line_of(&bad, "retries: 2");
    expect_rejected(
        &lab,
        &bad,
        &format!("{line}:"),
        "duplicate mapping key: retries",
    );
}

#[test]
fn a_duplicate_pool_name_is_rejected() {
    let (lab, yaml) = lab_and_config();
    let bad = yaml.replace("  p9:\n", "  a55:\n");
    let line = line_of(&bad, "  a55:");
    let second = bad
        .lines()
        .enumerate()
        .filter(|(_, l)| *l == "  a55:")
        .nth(1)
        .unwrap()
        .0
        + 1;
    assert!(second > line);
    expect_rejected(&lab, &bad, &format!("{second}:"), "duplicate");
}

#[test]
fn a_device_in_two_pools_is_rejected_at_the_second_listing() {
    let (lab, yaml) = lab_and_config();
    let bad = yaml.replace("devices: [P9-01, P9-02]", "devices: [P9-01, A55-02]");
    let line = line_of(&bad, "[P9-01, A55-02]");
    expect_rejected(
        &lab,
        &bad,
        &format!("{line}:"),
        "device A55-02 is already in pool a55",
    );
}

#[test]
fn a_missing_secret_names_the_variable_and_sends_nothing() {
    let (lab, _) = lab_and_config();
    let out = lab
        .command(&["apply", lab.config_arg()])
        .env_remove("TC_TOKEN_P9")
        .run();
    assert_eq!(out.code, 1);
    let stderr = &out.stderr;
    assert!(
        stderr.contains("environment variable TC_TOKEN_P9 is not set"),
        "{stderr}"
    );
    assert!(
        stderr.contains("device_pools.p9.access_token_env"),
        "{stderr}"
    );
    assert!(lab.requests().is_empty());
    // Planning only reads, so it needs no Taskcluster token.
    lab.command(&["plan", lab.config_arg()])
        .env_remove("TC_TOKEN_P9")
        .run()
        .expect_code(0);
}

#[test]
fn the_shipped_plans_are_valid() {
    for file in [
        "plans/demo.yaml",
        "plans/lambdatest-example.yaml",
        "plans/testflinger-example.yaml",
        "plans/gitlab-runners-example.yaml",
    ] {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        devicepool(&["validate", &path]).run().expect_code(0);
    }
}

#[test]
fn the_committed_schemas_match_the_code() {
    for (kind, file) in [
        ("desired", "schemas/devicepool.schema.json"),
        ("plan", "schemas/plan.schema.json"),
        ("snapshot", "schemas/snapshot.schema.json"),
        ("report", "schemas/report.schema.json"),
    ] {
        let out = devicepool(&["schema", kind]).run();
        let committed = std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR")))
            .unwrap_or_default();
        assert!(
            out.stdout == committed,
            "{file} drifted from the code: run `cargo run -- schema {kind} > {file}` and commit it"
        );
    }
}

/// `plan` with `var` set to each of `bad`: exit 1 naming the variable and `hint`, no output,
/// no request.
fn expect_variable_refused(lab: &Lab, var: &str, bad: &[&str], hint: &str) {
    for value in bad {
        let out = lab
            .command(&["plan", lab.config_arg()])
            .env(var, value)
            .run();
        out.expect_code(1);
        assert!(out.stderr.contains(var), "{}", out.stderr);
        assert!(out.stderr.contains(hint), "{}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    assert!(lab.requests().is_empty(), "a request was sent");
}

#[test]
fn a_bad_devicepool_now_is_refused_before_any_request() {
    let (lab, _) = lab_and_config();
    let bad = ["garbage", "2025-06-01T12:00:00"];
    expect_variable_refused(&lab, "DEVICEPOOL_NOW", &bad, "RFC 3339");
}

#[test]
fn a_devicepool_log_that_names_no_level_is_refused_before_any_request() {
    let (lab, _) = lab_and_config();
    let bad = ["degub", "devicepool=verbose"];
    expect_variable_refused(&lab, "DEVICEPOOL_LOG", &bad, "debug, trace");
    let out = lab
        .command(&["plan", lab.config_arg()])
        .env("DEVICEPOOL_LOG", "devicepool=debug,warn")
        .run();
    out.expect_code(0);
}

#[test]
fn a_zero_timeout_is_rejected_where_it_is_written() {
    let (lab, yaml) = lab_and_config();
    let http = yaml.replacen("    timeout: 2s\n", "    timeout: 0s\n", 1);
    let line = line_of(&http, "timeout: 0s");
    expect_rejected(
        &lab,
        &http,
        &format!("{line}:14"),
        "settings.http.timeout: must be longer than zero",
    );
    let launch = yaml.replacen(
        "    stagger: 0ms\n",
        "    stagger: 0ms\n    timeout: 0ms\n",
        1,
    );
    let line = line_of(&launch, "timeout: 0ms");
    expect_rejected(
        &lab,
        &launch,
        &format!("{line}:14"),
        "settings.launch.timeout: must be longer than zero",
    );
    let source = yaml.replacen("  lambdatest:\n", "  lambdatest:\n    timeout: 0s\n", 1);
    let line = source
        .lines()
        .position(|l| l == "    timeout: 0s")
        .expect("source timeout")
        + 1;
    expect_rejected(
        &lab,
        &source,
        &format!("{line}:14"),
        "sources.lambdatest.timeout: must be longer than zero",
    );
    let lifetime = yaml.replacen("settings:\n", "settings:\n  plan_lifetime: 0s\n", 1);
    let line = line_of(&lifetime, "plan_lifetime: 0s");
    expect_rejected(
        &lab,
        &lifetime,
        &format!("{line}:18"),
        "settings.plan_lifetime: must be longer than zero",
    );
}

#[test]
fn an_empty_secret_is_told_apart_from_a_missing_one() {
    let (lab, _) = lab_and_config();
    let out = lab
        .command(&["plan", lab.config_arg()])
        .env("LT_ACCESS_KEY", "")
        .run();
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("environment variable LT_ACCESS_KEY is set but empty"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("sources.lambdatest.access_key_env"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("is not set"), "{}", out.stderr);
    assert!(lab.requests().is_empty());
}

#[test]
fn an_unwritable_plan_out_is_refused_before_any_request() {
    let (lab, _) = lab_and_config();
    let missing = lab.path("no-such-dir/plan.json");
    let directory = lab.path("plans");
    for out in [&missing, &directory] {
        let out = out.to_str().unwrap();
        let run = lab.run(&["plan", lab.config_arg(), "--out", out]);
        run.expect_code(1);
        assert!(
            run.stderr
                .contains(&format!("cannot write the plan to {out}")),
            "{}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{}", run.stdout);
    }
    assert!(lab.requests().is_empty(), "a request was sent");
}
