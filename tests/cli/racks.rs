//! Racks: MAAS machines deployed through Testflinger on a cadence, driven through the binary
//! against the MAAS and Testflinger fakes.

use std::collections::BTreeMap;

use devicepool_sim::{Fault, Fleet};
use serde_json::json;

use crate::support::{
    Invocation, LabDir, Outcome, TF_CLIENT_SECRET, WRONG_MAAS_API_KEY, devicepool, files_under,
    text_filters,
};

const RACK_TAG: &str = "rack-a";

/// The binary with `fleet`'s MAAS key and its Testflinger clock, run in `dir`.
pub(crate) fn rack_command(fleet: &Fleet, dir: &std::path::Path, args: &[&str]) -> Invocation {
    devicepool(args)
        .current_dir(dir)
        .env("MAAS_API_KEY", fleet.maas.api_key())
        .env("DEVICEPOOL_SIM_CLOCK", fleet.testflinger.now().to_string())
}

/// A rack of 40 machines in mixed states (see `new`), its desired state, and the binary.
pub(crate) struct RackLab {
    pub(crate) fleet: Fleet,
    dir: LabDir,
    pub(crate) config: std::path::PathBuf,
}

fn host(i: usize) -> String {
    format!("host-{i:02}")
}

/// Submits a deploy job of ours for rack `rack-a` on `agent` to `fleet`'s Testflinger
/// directly, as an earlier run would have; its job id.
pub(crate) fn submit_deploy(fleet: &Fleet, agent: &str) -> String {
    let body = json!({
        "job_queue": agent,
        "tags": ["devicepool", "rack:rack-a", format!("agent:{agent}")],
        "provision_data": {"distro": "noble"},
    });
    let mut response = ureq::post(format!("{}/v1/job", fleet.testflinger.url()))
        .send_json(&body)
        .unwrap();
    let reply: serde_json::Value = response.body_mut().read_json().unwrap();
    reply["job_id"].as_str().unwrap().to_string()
}

impl RackLab {
    /// host-05 is busy with another job, host-06 offline, host-07 has a deploy of ours
    /// queued, host-08 failed provisioning 25 times, host-09 has no agent, host-10 was
    /// deployed by us an hour ago, host-11 is Broken in MAAS, host-12 sits in another
    /// location. The other 32 machines are due.
    pub(crate) fn new() -> RackLab {
        let fleet = Fleet::start().unwrap();
        let (maas, tf) = (&fleet.maas, &fleet.testflinger);
        maas.add_tag("other");
        for i in 1..=40 {
            let status = if i == 11 { "Broken" } else { "Deployed" };
            maas.add_machine(&host(i), &[RACK_TAG, "other"], status);
            let (state, location, streak) = match i {
                5 => ("provision", "TOR3", None),
                6 => ("offline", "TOR3", None),
                8 => ("waiting", "TOR3", Some(("fail", 25))),
                9 => continue,
                12 => ("waiting", "LON1", None),
                _ => ("waiting", "TOR3", Some(("pass", 3))),
            };
            tf.add_agent(&host(i), state, &[&host(i)], location, streak);
        }
        maas.add_machine("elsewhere-01", &["other"], "Deployed");
        let lab = RackLab {
            dir: LabDir::new(&["racks.yaml"]),
            config: std::path::PathBuf::new(),
            fleet,
        };
        // host-10: deployed an hour ago; host-07: a deploy of ours still queued.
        let tf = &lab.fleet.testflinger;
        let old = lab.submit(&host(10));
        tf.advance_job(&old, "provision");
        tf.complete_job(&old, &[("provision", 0)]);
        tf.advance_clock(3600);
        lab.submit(&host(7));
        let config = lab.dir.path().join("racks.yaml");
        std::fs::write(&config, lab.yaml(40)).unwrap();
        RackLab { config, ..lab }
    }

    pub(crate) fn yaml(&self, max_deploys: u32) -> String {
        format!(
            "version: 1\nsettings:\n  state_dir: state\n  http: {{timeout: 2s, retries: 1, backoff: 10ms}}\nsources:\n  maas:\n    url: {}\n    api_key_env: MAAS_API_KEY\n  testflinger:\n    url: {}\nracks:\n  rack-a:\n    maas_tags: [{RACK_TAG}]\n    agent_location: TOR3\n    every: 6h\n    max_deploys_per_run: {max_deploys}\n    provision_data: {{distro: noble}}\n    reserve_data: {{timeout: 120}}\n",
            self.fleet.maas.url(),
            self.fleet.testflinger.url()
        )
    }

    /// Submits a deploy job of ours directly, as an earlier run would have.
    pub(crate) fn submit(&self, agent: &str) -> String {
        submit_deploy(&self.fleet, agent)
    }

    /// The binary with the MAAS key and the fake's clock, run in the lab directory.
    pub(crate) fn command(&self, args: &[&str]) -> Invocation {
        rack_command(&self.fleet, self.dir.path(), args)
    }

    pub(crate) fn run(&self, args: &[&str]) -> Outcome {
        self.command(args).run()
    }

    pub(crate) fn config_arg(&self) -> &str {
        self.config.to_str().unwrap()
    }

    /// The metrics a run wrote to `metrics.prom` in the lab's directory.
    pub(crate) fn metrics(&self) -> BTreeMap<String, f64> {
        let text = std::fs::read_to_string(self.dir.path().join("metrics.prom"));
        crate::metrics::samples(&text.expect("metrics written"))
    }

    /// Agents that received a job from devicepool's apply (not the fixtures), in order.
    pub(crate) fn submitted_agents(&self) -> Vec<String> {
        self.fleet
            .testflinger
            .submissions()
            .iter()
            .filter(|s| {
                s["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with("devicepool deploy"))
            })
            .map(|s| s["job_queue"].as_str().unwrap().to_string())
            .collect()
    }

    /// Our active jobs per agent: never more than one.
    fn assert_one_active_job_per_agent(&self) {
        let mut active: BTreeMap<String, usize> = BTreeMap::new();
        for job in self.fleet.testflinger.jobs() {
            let ours = job.definition["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("devicepool")));
            if ours
                && !matches!(
                    job.job_state.as_str(),
                    "complete" | "completed" | "cancelled"
                )
            {
                *active
                    .entry(job.definition["job_queue"].as_str().unwrap().to_string())
                    .or_default() += 1;
            }
        }
        assert!(active.values().all(|n| *n == 1), "{active:?}");
    }
}

fn due_hosts() -> Vec<String> {
    (1..=40)
        .filter(|i| ![5, 6, 7, 8, 9, 10, 11, 12].contains(i))
        .map(host)
        .collect()
}

#[test]
fn three_runs_deploy_the_due_then_nothing_then_again_after_the_cadence() {
    let lab = RackLab::new();

    let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    plan.expect_code(0);
    let rack = &plan.json()["racks"][0];
    let state_of = |h: usize| {
        rack["machines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["hostname"] == host(h))
            .unwrap()["state"]
            .clone()
    };
    for (i, state) in [
        (5, "not_waiting"),
        (6, "not_waiting"),
        (7, "in_flight"),
        (8, "fail_streak"),
        (9, "agent_not_found"),
        (10, "not_due"),
        (11, "machine_status"),
        (12, "other_location"),
        (1, "deploy"),
    ] {
        assert_eq!(state_of(i), state, "{}", host(i));
    }
    let host10 = rack["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["hostname"] == host(10))
        .unwrap();
    // Not deployed in this run: its last result is not read (the plan does not need it).
    assert_eq!(host10["last_deploy"], serde_json::Value::Null);
    assert_eq!(host10["detail"], "due at 2026-11-25T16:00:00Z");

    // Run 1: exactly the due machines (`Deploys: submitted 32 of 32`).
    let _filters = text_filters().bind_to_scope();
    let run1 = lab.run(&["apply", lab.config_arg()]);
    run1.expect_code(0);
    insta::assert_snapshot!("three_runs_first_apply", run1.stdout);
    let mut first = lab.submitted_agents();
    first.sort();
    assert_eq!(first, due_hosts());
    let submissions = lab.fleet.testflinger.submissions();
    let job = submissions
        .iter()
        .find(|s| s["job_queue"] == host(1))
        .unwrap();
    let tags = job["tags"].as_array().unwrap();
    assert_eq!(
        tags[..4],
        json!([
            "devicepool",
            "rack:rack-a",
            "agent:host-01",
            "fleet:default"
        ])
        .as_array()
        .unwrap()[..]
    );
    // Then the spec of the job (12 hex) and the marker that it carries one.
    let spec = tags[4].as_str().unwrap().strip_prefix("spec:").unwrap();
    assert!(
        spec.len() == 12 && spec.bytes().all(|b| b.is_ascii_hexdigit()),
        "{spec}"
    );
    assert_eq!(tags[5], "spec-marked");
    assert_eq!(tags.len(), 6);
    assert_eq!(job["provision_data"], json!({"distro": "noble"}));
    assert_eq!(job["reserve_data"], json!({"timeout": 120}));
    lab.assert_one_active_job_per_agent();

    // Run 2: those jobs are still active: nothing new.
    let run2 = lab.run(&["apply", lab.config_arg()]);
    run2.expect_code(0);
    assert_eq!(lab.submitted_agents().len(), 32);
    lab.assert_one_active_job_per_agent();

    // The jobs finish (one provision fails) and the cadence passes.
    for job in lab.fleet.testflinger.jobs() {
        if job.job_state == "waiting" && job.definition["job_queue"] != host(7) {
            let code = if job.definition["job_queue"] == host(1) {
                1
            } else {
                0
            };
            lab.fleet.testflinger.advance_job(&job.job_id, "provision");
            lab.fleet
                .testflinger
                .complete_job(&job.job_id, &[("provision", code)]);
        }
    }
    lab.fleet.testflinger.advance_clock(6 * 3600 + 60);
    // A failed deploy stands out: host-01 `FAILED, provision exit 1`.
    let plan3 = lab.run(&["plan", lab.config_arg()]);
    insta::assert_snapshot!("three_runs_plan_after_the_cadence", plan3.stdout);

    // Run 3: the same machines again, plus host-10 whose cadence has passed too.
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    let mut third: Vec<String> = lab.submitted_agents().split_off(32);
    third.sort();
    let mut expected = due_hosts();
    expected.push(host(10));
    expected.sort();
    assert_eq!(third, expected);
    lab.assert_one_active_job_per_agent();
    assert!(files_under(&lab.dir.path().join("plans")).is_empty());
}

#[test]
fn a_run_makes_the_minimal_set_of_requests() {
    let lab = RackLab::new();
    lab.fleet.maas.server().clear_requests();
    lab.fleet.testflinger.server().clear_requests();
    lab.run(&["plan", lab.config_arg()]).expect_code(0);
    let maas = lab.fleet.maas.server().requests();
    assert_eq!(maas.len(), 1, "one MAAS call per rack");
    assert!(maas[0].query.contains("tags=rack-a"));
    let tf = lab.fleet.testflinger.server().requests();
    let count = |path: &str| tf.iter().filter(|r| r.path.starts_with(path)).count();
    assert_eq!(count("/v1/agents/data"), 1, "one agent list per run");
    // Searches only for agents that could be deployed (waiting, in TOR3, usable machine,
    // fail streak within the limit): 34 of 40; then the rack's two spec searches (deploys of
    // the spec it renders now, deploys carrying any spec): never one per agent.
    assert_eq!(count("/v1/job/search"), 34 + 2);
    // Results only for machines this run deploys that have a finished job of ours: none
    // (host-10's is an hour old, not due).
    assert_eq!(count("/v1/result/"), 0);
    // The queue of each deploy of ours still waiting (the search does not give it): host-07.
    assert_eq!(count("/v1/job/") - count("/v1/job/search"), 1);
    assert_eq!(tf.len(), 38);
    assert!(tf.iter().all(|r| r.method == "GET"));
}

/// How a failure case prepares its lab.
pub(crate) type Arrange = Box<dyn Fn(&RackLab)>;

#[test]
fn a_source_failure_holds_the_rack_and_submits_nothing() {
    let cases: [(&str, Arrange, &str); 4] = [
        ("maas 401", Box::new(|_| {}), "HTTP 401"),
        (
            "maas unknown tag",
            Box::new(|lab| {
                std::fs::write(
                    &lab.config,
                    lab.yaml(40)
                        .replace("maas_tags: [rack-a]", "maas_tags: [no-such-tag]"),
                )
                .unwrap();
            }),
            "No such tag(s): 'no-such-tag'",
        ),
        (
            "testflinger 503",
            Box::new(|lab| {
                lab.fleet
                    .testflinger
                    .server()
                    .inject("GET", "/v1/agents/data", Fault::status(503));
            }),
            "testflinger: GET",
        ),
        (
            "testflinger timeout",
            Box::new(|lab| {
                lab.fleet
                    .testflinger
                    .server()
                    .inject("GET", "/v1/agents/data", Fault::delay(3000));
            }),
            "no response",
        ),
    ];
    for (name, arrange, needle) in cases {
        let lab = RackLab::new();
        arrange(&lab);
        let mut cmd = lab.command(&["apply", lab.config_arg()]);
        if name == "maas 401" {
            cmd = cmd.env("MAAS_API_KEY", WRONG_MAAS_API_KEY);
        }
        let out = cmd.run();
        assert_eq!(out.code, 4, "{name}: {out:?}");
        // `held   rack-a: …` with the reason, which names what failed (`needle`).
        let mut filters = text_filters();
        filters.set_description(format!("{name}: the hold reason names {needle:?}"));
        let _filters = filters.bind_to_scope();
        let snapshot = format!("source_failure_{}", name.replace(' ', "_"));
        insta::assert_snapshot!(snapshot, out.stdout);
        assert!(
            lab.submitted_agents().is_empty(),
            "{name}: submitted on failed data"
        );
    }
}

#[test]
fn a_refused_deploy_is_reported_and_the_others_go_ahead() {
    let lab = RackLab::new();
    lab.fleet.testflinger.server().inject(
        "POST",
        "/v1/job",
        Fault::status(422)
            .with_body(
                r#"{"detail":{"json":{"provision_data":["bad"]}},"message":"Validation error"}"#,
            )
            .times(1),
    );
    let out = lab.run(&["apply", lab.config_arg()]);
    out.expect_code(3);
    assert!(
        out.stdout.contains("Deploys: submitted 31 of 32"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("HTTP 422"), "{}", out.stdout);
    assert!(out.stdout.contains("Validation error"), "{}", out.stdout);
}

#[test]
fn rack_secrets_stay_out_of_output_and_tokens_are_used_when_required() {
    let lab = RackLab::new();
    let tf = &lab.fleet.testflinger;
    tf.set_auth_required(true);
    tf.add_client("lab-deployer", TF_CLIENT_SECRET, "contributor");
    let yaml = lab.yaml(40).replace(
        &format!("    url: {}\n", tf.url()),
        &format!(
            "    url: {}\n    client_id: lab-deployer\n    client_secret_env: TF_SECRET\n",
            tf.url()
        ),
    );
    std::fs::write(&lab.config, yaml).unwrap();
    // The secret guard checks both runs' output, trace logs included, and the lab's files.
    for verb in ["plan", "apply"] {
        tf.server().clear_requests();
        let out = lab
            .command(&["-vvv", verb, lab.config_arg()])
            .env("DEVICEPOOL_LOG", "trace")
            .env("TF_SECRET", TF_CLIENT_SECRET)
            .run();
        assert_eq!(out.code, 0, "{out:?}");
        assert!(out.stderr.contains("TRACE"), "trace logging was on");
        let token_requests = tf
            .server()
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/oauth2/token")
            .count();
        assert_eq!(
            token_requests, 1,
            "{verb}: one token serves reads and deploys"
        );
    }
    assert_eq!(
        lab.submitted_agents().len(),
        32,
        "deploys went through with a Bearer token"
    );
}

/// MAAS refuses a nonce it has seen: two racks read in the same run must each be signed with
/// their own (racks with equal-length names once shared one).
#[test]
fn two_racks_read_in_one_run_are_both_accepted_by_maas() {
    let lab = RackLab::new();
    let yaml = format!(
        "{}  rack-b:\n    maas_tags: [other]\n    agent_location: TOR3\n    provision_data: {{distro: noble}}\n",
        lab.yaml(40)
    );
    let config = lab.config.with_file_name("two-racks.yaml");
    std::fs::write(&config, yaml).unwrap();
    let out = lab.run(&["plan", config.to_str().unwrap(), "--format", "json"]);
    out.expect_code(0);
    let racks = out.json()["racks"].as_array().unwrap().clone();
    assert_eq!(racks.len(), 2);
    for rack in &racks {
        assert_eq!(rack["status"]["state"], "planned", "{rack}");
    }
    let nonces: std::collections::BTreeSet<String> = lab
        .fleet
        .maas
        .server()
        .requests()
        .iter()
        .map(|r| r.header("authorization").unwrap().to_string())
        .collect();
    assert_eq!(nonces.len(), 2, "two requests, two distinct signatures");
}
