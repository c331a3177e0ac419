//! Careless and hostile values the schema lets through: identifiers that would be split into
//! several labels or tags, endless durations, URLs that are not http(s), an empty CLI path,
//! template names outside `templates_dir` and a missing `templates_dir`. Each is refused at
//! file:line:col before any request.

use super::{expect_rejected, lab_and_config, line_of, line_with};

/// The column (1-based) of `needle` on its line of `yaml`.
fn column_of(yaml: &str, needle: &str) -> usize {
    let line = yaml.lines().find(|l| l.contains(needle)).expect("needle");
    line.find(needle).unwrap() + 1
}

/// `location` of `needle` in `yaml` as `line:col`.
fn at(yaml: &str, needle: &str) -> String {
    format!("{}:{}", line_of(yaml, needle), column_of(yaml, needle))
}

#[test]
fn a_udid_that_would_become_several_labels_is_rejected_where_it_is_listed() {
    let (lab, yaml) = lab_and_config();
    for (bad, flaw) in [
        ("\"P9,02\"", "\"P9,02\" holds a comma"),
        ("\"P9 02\"", "\"P9 02\" holds whitespace"),
        ("\"\"", "\"\" is empty"),
    ] {
        let listed = yaml.replace(
            "devices: [P9-01, P9-02]",
            &format!("devices: [P9-01, {bad}]"),
        );
        expect_rejected(&lab, &listed, &at(&listed, bad), flaw);
        expect_rejected(&lab, &listed, "", "device_pools.p9.devices[1]");
    }
}

#[test]
fn tags_of_racks_and_runner_pools_are_identifiers_too() {
    let (lab, yaml) = lab_and_config();
    let with_tags = yaml.replace(
        "device_pools:\n",
        "  maas: {url: http://127.0.0.1:9/MAAS/, api_key_env: MAAS_KEY}\n  testflinger: {url: http://127.0.0.1:9}\n  gitlab: {url: http://127.0.0.1:9, token_env: GL_TOKEN}\nracks:\n  rack-a:\n    maas_tags: [\"rack a\"]\nrunner_pools:\n  autogit:\n    tags: [autogit, \"docker,arm\"]\n    projects: [group/app]\ndevice_pools:\n",
    );
    std::fs::write(&lab.config, &with_tags).unwrap();
    let out = lab.run(&["validate", lab.config_arg()]);
    out.expect_code(1);
    for (needle, message) in [
        (
            "\"rack a\"",
            "racks.rack-a.maas_tags[0]: \"rack a\" holds whitespace",
        ),
        (
            "\"docker,arm\"",
            "runner_pools.autogit.tags[1]: \"docker,arm\" holds a comma",
        ),
    ] {
        let expected = format!(
            "{}:{}: {message}",
            lab.config.display(),
            at(&with_tags, needle)
        );
        assert!(
            out.stderr.contains(&expected),
            "want {expected} in:\n{}",
            out.stderr
        );
    }
}

#[test]
fn a_duration_past_thirty_days_is_rejected() {
    let (lab, yaml) = lab_and_config();
    let endless = yaml.replace(
        "    max_initiated: 100\n",
        "    max_initiated: 100\n    job_window: 99999999h\n",
    );
    expect_rejected(
        &lab,
        &endless,
        &at(&endless, "99999999h"),
        "sources.lambdatest.job_window: must be at most 30 days",
    );
    let backoff = yaml.replace("backoff: 10ms", "backoff: 745h");
    expect_rejected(
        &lab,
        &backoff,
        &at(&backoff, "745h"),
        "settings.http.backoff",
    );
}

#[test]
fn a_base_url_must_be_http_or_https_with_a_host() {
    let (lab, yaml) = lab_and_config();
    let root = line_with(&yaml, "root_url:");
    for (bad, why) in [
        ("file:///etc/passwd", "must be an http:// or https:// URL"),
        ("https://", "is not a URL"),
        ("http://:80/", "has no host"),
        ("tc.example.com", "is not a URL (no http:// or https://)"),
    ] {
        let broken = yaml.replace(&root, &format!("    root_url: {bad}"));
        let message = format!("sources.taskcluster.root_url: \"{bad}\" {why}");
        expect_rejected(&lab, &broken, &at(&broken, bad), &message);
    }
    // Credentials in a URL are refused, and the refusal does not repeat them.
    let with_password = "https://bob:hunter2secret@tc.example.com/";
    let broken = yaml.replace(&root, &format!("    root_url: {with_password}"));
    let message = "sources.taskcluster.root_url: \"https://<redacted>@tc.example.com/\" holds a user or password";
    expect_rejected(&lab, &broken, &at(&broken, with_password), message);
    let out = lab.run(&["validate", lab.config_arg()]);
    assert!(!out.stderr.contains("hunter2secret"), "{}", out.stderr);
}

#[test]
fn an_empty_cli_path_is_rejected() {
    let (lab, yaml) = lab_and_config();
    let cli = line_with(&yaml, "    cli: ");
    let empty = yaml.replace(&cli, "    cli: \"\"");
    expect_rejected(
        &lab,
        &empty,
        &at(&empty, "\"\""),
        "sources.lambdatest.cli: must name the hyperexecute CLI",
    );
}

#[test]
fn a_template_outside_templates_dir_is_rejected_at_validate_time() {
    let (lab, yaml) = lab_and_config();
    for (bad, why) in [
        ("/etc/passwd", "is an absolute path"),
        ("../secret.env", "climbs out with '..'"),
    ] {
        let named = yaml.replacen(
            "    client_id: project/autophone/a55\n",
            &format!("    client_id: project/autophone/a55\n    template: {bad}\n"),
            1,
        );
        let message = format!("device_pools.a55.template: \"{bad}\" {why}");
        expect_rejected(&lab, &named, &at(&named, bad), &message);
        std::fs::write(&lab.config, &named).unwrap();
        let out = lab.run(&["validate", lab.config_arg()]);
        out.expect_code(1);
        assert!(out.stderr.contains(&message), "{}", out.stderr);
    }
}

#[test]
fn a_missing_templates_dir_is_an_error_not_a_fallback() {
    let (lab, yaml) = lab_and_config();
    let missing = yaml.replacen(
        "settings:\n",
        "settings:\n  templates_dir: ../no-such-templates\n",
        1,
    );
    for verb in ["validate", "plan", "render"] {
        std::fs::write(&lab.config, &missing).unwrap();
        let out = lab.run(&[verb, lab.config_arg()]);
        out.expect_code(1);
        let expected = format!(
            "{}:{}: settings.templates_dir: ",
            lab.config.display(),
            at(&missing, "../no-such-templates")
        );
        assert!(
            out.stderr.contains(&expected),
            "{verb}: want {expected} in:\n{}",
            out.stderr
        );
        assert!(out.stderr.contains("is not a directory"), "{}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }
    assert!(lab.requests().is_empty(), "a request was sent");
}
