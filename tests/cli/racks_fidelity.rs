//! Racks against the Testflinger behaviours that once fooled devicepool (issue 8): huge or
//! unreadable results, agents that serve other queues than their name, agents that have just
//! taken a job, failures outside provisioning, and cadences longer than job retention.
//! Driven through the binary against the MAAS and Testflinger fakes.

use devicepool_sim::Fault;
use serde_json::{Value, json};

use crate::racks::{Arrange, RackLab};
use crate::support::{devicepool, text_filters};

fn machine<'a>(plan: &'a Value, host: &str) -> &'a Value {
    plan["racks"][0]["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["hostname"] == host)
        .unwrap_or_else(|| panic!("{host} not in the plan"))
}

#[test]
fn an_unreadable_result_makes_one_outcome_unknown_and_never_holds_the_rack() {
    let fault_on_result = |fault: Fault| -> Arrange {
        Box::new(move |lab: &RackLab| {
            let server = lab.fleet.testflinger.server();
            server.inject("GET", "/v1/result/", fault.clone());
        })
    };
    // A phase status that is not an integer: dropping it would leave only setup's 0 and
    // call a failed provision `ok`.
    let odd_status = r#"{"job_state":"complete","setup_status":0,"provision_status":"1"}"#;
    let cases: [(&str, Arrange, &str); 4] = [
        // Over the 64 MiB a result is read up to (a real one carries about 10 MB of logs,
        // read whole: `racks_big_results`).
        (
            "too large",
            fault_on_result(Fault::oversized(64 * 1024 * 1024 + 1)),
            "over 67108864 bytes",
        ),
        (
            "server error",
            fault_on_result(Fault::status(500)),
            "HTTP 500",
        ),
        (
            "undecodable",
            fault_on_result(Fault::malformed_json()),
            "unexpected response",
        ),
        (
            "a phase status that is not an integer",
            fault_on_result(Fault::status(200).with_body(odd_status)),
            "provision_status is \"1\", not an integer",
        ),
    ];
    for (name, arrange, why) in cases {
        let lab = RackLab::new();
        arrange(&lab);
        // host-10 comes due: a result is read only for a machine the run deploys.
        lab.fleet.testflinger.advance_clock(5 * 3600 + 60);
        let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
        assert_eq!(plan.code, 0, "{name}: the rack was held: {}", plan.stdout);
        let json = plan.json();
        assert_eq!(json["racks"][0]["status"]["state"], "planned", "{name}");
        let host10 = machine(&json, "host-10");
        assert_eq!(
            host10["last_deploy"]["outcome"], "unknown",
            "{name}: {host10}"
        );
        let note = host10["last_deploy"]["note"].as_str().unwrap();
        assert!(note.contains(why), "{name}: {note}");
        assert_eq!(
            host10["state"], "deploy",
            "{name}: the history still decides"
        );
        let text = lab.run(&["plan", lab.config_arg()]);
        assert!(text.stdout.contains("unknown ("), "{name}: {}", text.stdout);
        let out = lab.run(&["apply", lab.config_arg()]);
        out.expect_code(0);
        assert_eq!(
            lab.submitted_agents().len(),
            33,
            "{name}: all due machines deploy"
        );
    }
}

#[test]
fn deploys_go_to_the_queue_only_that_agent_serves_and_are_taken() {
    let lab = RackLab::new();
    let tf = &lab.fleet.testflinger;
    let streak = Some(("pass", 3));
    tf.add_agent(
        "host-01",
        "waiting",
        &["rack-a-amd64", "cid-0001"],
        "TOR3",
        streak,
    );
    tf.add_agent("host-02", "waiting", &["rack-a-amd64"], "TOR3", streak);
    tf.add_agent(
        "host-03",
        "waiting",
        &["cid-0003", "cid-0003b", "rack-a-amd64"],
        "TOR3",
        streak,
    );
    let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    plan.expect_code(0);
    let json = plan.json();
    let host02 = machine(&json, "host-02");
    assert_eq!(host02["state"], "no_private_queue", "{host02}");
    assert!(host02["detail"].as_str().unwrap().contains("rack-a-amd64"));

    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    let queue_of = |agent: &str| {
        let subs = tf.submissions();
        let tag = json!(format!("agent:{agent}"));
        let job = subs
            .iter()
            .find(|s| s["tags"].as_array().unwrap().contains(&tag));
        job.map(|j| j["job_queue"].as_str().unwrap().to_string())
    };
    assert_eq!(queue_of("host-01").as_deref(), Some("cid-0001"));
    assert_eq!(queue_of("host-02"), None, "no queue of its own: skipped");
    assert_eq!(
        queue_of("host-03").as_deref(),
        Some("cid-0003"),
        "first private queue"
    );
    assert_eq!(queue_of("host-04").as_deref(), Some("host-04"));
    // The agents poll their queues: every deploy of ours is taken by the agent it names.
    let taken = tf.poll_agents();
    for job in tf.jobs() {
        let Some(agent) = job.tags().iter().find_map(|t| t.strip_prefix("agent:")) else {
            continue;
        };
        let agent = agent.to_string();
        if agent == "host-07" || agent == "host-10" {
            continue; // the fixture's own jobs
        }
        assert!(
            taken.contains(&(agent.clone(), job.job_id.clone())),
            "the deploy of {agent} on queue {} was not taken: {taken:?}",
            job.queue()
        );
    }
}

#[test]
fn an_agent_that_has_just_taken_a_job_is_not_free() {
    let lab = RackLab::new();
    let tf = &lab.fleet.testflinger;
    let url = format!("{}/v1/job", tf.url());
    let theirs = json!({"job_queue": "host-01", "tags": ["someone-else"]});
    let reply: Value = ureq::post(&url)
        .send_json(&theirs)
        .unwrap()
        .body_mut()
        .read_json()
        .unwrap();
    let job_id = reply["job_id"].as_str().unwrap();
    tf.poll_agents();
    let agent = tf
        .agents()
        .into_iter()
        .find(|a| a["name"] == "host-01")
        .unwrap();
    assert_eq!(
        (agent["state"].as_str(), agent["job_id"].as_str()),
        (Some("waiting"), Some(job_id))
    );

    let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    let host01 = machine(&plan.json(), "host-01").clone();
    assert_eq!(host01["state"], "not_waiting", "{host01}");
    assert!(
        host01["detail"].as_str().unwrap().contains(job_id),
        "{host01}"
    );
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    assert!(!lab.submitted_agents().contains(&"host-01".to_string()));
}

#[test]
fn a_deploy_that_failed_in_any_phase_is_shown_failed() {
    let lab = RackLab::new();
    let tf = &lab.fleet.testflinger;
    for (host, phases) in [
        ("host-01", vec![("setup", 1)]),
        ("host-02", vec![("setup", 0), ("provision", 0), ("test", 2)]),
        ("host-03", vec![("setup", 0), ("provision", 0)]),
    ] {
        let id = lab.submit(host);
        assert!(tf.complete_job(&id, &phases));
    }
    tf.advance_clock(7 * 3600);
    let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    let json = plan.json();
    let outcome = |h: &str| machine(&json, h)["last_deploy"]["outcome"].clone();
    assert_eq!(outcome("host-01"), "failed");
    assert_eq!(outcome("host-02"), "failed");
    assert_eq!(outcome("host-03"), "ok");
    // host-01 `FAILED, setup exit 1`, host-02 `FAILED, test exit 2`, host-03 `ok`.
    let text = lab.run(&["plan", lab.config_arg()]).stdout;
    let _filters = text_filters().bind_to_scope();
    insta::assert_snapshot!(text);
}
#[test]
fn a_deploy_cancelled_before_provision_is_reported_not_provisioned_not_ok() {
    let lab = RackLab::new();
    let tf = &lab.fleet.testflinger;
    // A deploy cancelled before provision ends `complete` with only these two statuses
    // (`setup_status`, `cleanup_status` of the upstream `ResultGet` schema).
    let id = lab.submit("host-01");
    assert!(tf.complete_job(&id, &[("setup", 0), ("cleanup", 0)]));
    tf.advance_clock(7 * 3600);
    let json = lab
        .run(&["plan", lab.config_arg(), "--format", "json"])
        .json();
    let last = &machine(&json, "host-01")["last_deploy"];
    assert_eq!(last["job_state"], "complete");
    assert_eq!(last["outcome"], "failed", "{last}");
    assert_eq!(last["note"], "cancelled before provision, not provisioned");
    let text = lab.run(&["plan", lab.config_arg()]).stdout;
    let line = text.lines().find(|l| l.contains("host-01")).unwrap();
    assert!(
        line.contains("FAILED, cancelled before provision, not provisioned")
            && !line.contains(" ok"),
        "{line}"
    );
}

#[test]
fn a_cadence_longer_than_job_retention_is_refused_where_it_is_written() {
    let lab = RackLab::new();
    for (every, words) in [
        ("169h", vec!["racks.yaml:15:12:", "7 days", "Testflinger"]),
        ("8d", vec!["racks.yaml:15:12:", "7 days"]),
        ("14d", vec!["racks.yaml:15:12:", "7 days"]),
        ("6x", vec!["racks.yaml:15:12:", "not a duration"]),
    ] {
        let yaml = lab
            .yaml(40)
            .replace("every: 6h", &format!("every: {every}"));
        std::fs::write(&lab.config, yaml).unwrap();
        let out = devicepool(&["validate", lab.config_arg()]).run();
        assert_eq!(out.code, 1, "every: {every}: {out:?}");
        for word in words {
            assert!(
                out.stderr.contains(word),
                "every: {every}: want {word:?} in {}",
                out.stderr
            );
        }
        for internal in ["jiff", "Span", "friendly"] {
            assert!(
                !out.stderr.contains(internal),
                "every: {every}: {}",
                out.stderr
            );
        }
    }
    let yaml = lab.yaml(40).replace("every: 6h", "every: 7d");
    std::fs::write(&lab.config, yaml).unwrap();
    devicepool(&["validate", lab.config_arg()])
        .run()
        .expect_code(0);
}

#[test]
fn a_template_cannot_redirect_a_deploy_or_drop_its_tags() {
    let cases = [
        (
            "another queue",
            "job_queue: shared-queue\ntags: {{ tags | tojson }}\nprovision_data: {distro: noble}\n",
            "the rendered job_queue is shared-queue; devicepool sends this deploy to",
        ),
        (
            "no ownership tags",
            "job_queue: {{ job_queue | quote }}\ntags: [mine]\nprovision_data: {distro: noble}\n",
            "lacks the tag(s) devicepool,rack:rack-a",
        ),
    ];
    for (name, template, why) in cases {
        let lab = RackLab::new();
        let dir = lab.config.parent().unwrap();
        std::fs::create_dir_all(dir.join("tpl")).unwrap();
        std::fs::write(dir.join("tpl/hostile.yaml.j2"), template).unwrap();
        let yaml = lab
            .yaml(40)
            .replace(
                "  state_dir: state\n",
                "  state_dir: state\n  templates_dir: tpl\n",
            )
            .replace(
                "    every: 6h\n",
                "    every: 6h\n    template: hostile.yaml.j2\n",
            );
        std::fs::write(&lab.config, yaml).unwrap();
        let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
        let json = plan.json();
        assert_eq!(
            json["racks"][0]["status"]["state"], "held",
            "{name}: {json}"
        );
        let reason = json["racks"][0]["status"]["reason"].as_str().unwrap();
        assert!(reason.contains("hostile.yaml.j2"), "{name}: {reason}");
        assert!(reason.contains(why), "{name}: {reason}");
        let before = lab.fleet.testflinger.submissions().len();
        let out = lab.run(&["apply", lab.config_arg()]);
        assert_ne!(out.code, 0, "{name}: a held rack is not a clean run");
        assert_eq!(
            lab.fleet.testflinger.submissions().len(),
            before,
            "{name}: nothing is submitted"
        );
    }
}

#[test]
fn a_job_whose_creation_time_cannot_be_read_never_counts_as_never_deployed() {
    let lab = RackLab::new();
    // Our finished deploy, its time unreadable: the cadence cannot be judged from it.
    let undated = r#"[{"job_id":"00000000-0000-4000-8000-000000000001","job_state":"complete","created_at":"yesterday"}]"#;
    lab.fleet.testflinger.server().inject(
        "GET",
        "/v1/job/search",
        Fault::status(200).with_body(undated),
    );
    let before = lab.fleet.testflinger.submissions().len();
    let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    plan.expect_code(0);
    let json = plan.json();
    let machines = json["racks"][0]["machines"].as_array().unwrap();
    let unknown = machines
        .iter()
        .filter(|m| m["state"] == "history_unknown")
        .count();
    assert!(unknown > 0, "{json}");
    assert!(
        machines.iter().all(|m| m["state"] != "deploy"),
        "nothing is deployed on a guess: {json}"
    );
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    assert_eq!(lab.fleet.testflinger.submissions().len(), before);
}

#[test]
fn an_agent_queue_that_cannot_be_ours_is_skipped_not_sent() {
    let lab = RackLab::new();
    let tf = &lab.fleet.testflinger;
    // Testflinger stores whatever queue names an agent posts; one with a comma or a space
    // would be split or mangled on its way into a tag search or a job.
    tf.add_agent("host-04", "waiting", &["cid 0004"], "TOR3", None);
    tf.add_agent("host-05", "waiting", &["cid,0005"], "TOR3", None);
    let before = tf.submissions().len();
    let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    plan.expect_code(0);
    let json = plan.json();
    for (host, flaw) in [
        ("host-04", "holds whitespace"),
        ("host-05", "holds a comma"),
    ] {
        let m = machine(&json, host);
        assert_eq!(m["state"], "unusable_name", "{m}");
        assert!(m["detail"].as_str().unwrap().contains(flaw), "{m}");
    }
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    let sent: Vec<Value> = tf.submissions()[before..]
        .iter()
        .map(|s| s["job_queue"].clone())
        .collect();
    assert!(
        !sent.contains(&json!("cid 0004")) && !sent.contains(&json!("cid,0005")),
        "{sent:?}"
    );
    assert!(!sent.is_empty(), "the other machines still deploy");
}
