//! Racks that do not stall (issue 19): an agent restricted to a queue is deployed there only
//! when the desired state and the queue's owners allow it, and a deploy of ours that cannot
//! start (waiting past `stuck_after`, or on a queue the agent no longer polls) is cancelled
//! before the machine is deployed again. Driven through the binary against the fakes.

use devicepool_sim::Fault;
use serde_json::Value;

use crate::racks::RackLab;
use crate::support::TF_CLIENT_SECRET;

const CLIENT: &str = "lab-deployer";

fn machine<'a>(plan: &'a Value, host: &str) -> &'a Value {
    let machines = plan["racks"][0]["machines"].as_array().unwrap();
    machines.iter().find(|m| m["hostname"] == host).unwrap()
}

fn deploy<'a>(plan: &'a Value, host: &str) -> Option<&'a Value> {
    let deploys = plan["racks"][0]["deploys"].as_array().unwrap();
    deploys.iter().find(|d| d["agent"] == host)
}

/// The lab with `extra` lines added to the rack, submitting as `CLIENT`.
fn with_client(lab: &RackLab, extra: &str) {
    let tf = &lab.fleet.testflinger;
    tf.add_client(CLIENT, TF_CLIENT_SECRET, "contributor");
    let yaml = lab
        .yaml(40)
        .replace(
            &format!("    url: {}\n", tf.url()),
            &format!(
                "    url: {}\n    client_id: {CLIENT}\n    client_secret_env: TF_SECRET\n",
                tf.url()
            ),
        )
        .replace("    every: 6h\n", &format!("    every: 6h\n{extra}"));
    std::fs::write(&lab.config, yaml).unwrap();
}

fn run(lab: &RackLab, args: &[&str]) -> crate::support::Outcome {
    lab.command(args).env("TF_SECRET", TF_CLIENT_SECRET).run()
}

fn plan_json(lab: &RackLab) -> Value {
    let out = run(lab, &["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    out.json()
}

/// The deploy job of ours host-07 holds from the lab's fixtures.
fn host07_job(lab: &RackLab) -> String {
    let jobs = lab.fleet.testflinger.jobs();
    jobs.iter()
        .find(|j| j.queue() == "host-07")
        .unwrap()
        .job_id
        .clone()
}

/// The lab once host-07's agent serves another queue (`host-07-b`), and the deploy of ours it
/// holds, just submitted on its old queue: that deploy never starts.
fn host07_on_a_new_queue() -> (RackLab, String) {
    let lab = RackLab::new();
    let old = host07_job(&lab);
    lab.fleet.testflinger.add_agent(
        "host-07",
        "waiting",
        &["host-07-b"],
        "TOR3",
        Some(("pass", 3)),
    );
    (lab, old)
}

fn job_state(lab: &RackLab, id: &str) -> String {
    let jobs = lab.fleet.testflinger.jobs();
    jobs.iter()
        .find(|j| j.job_id == id)
        .unwrap()
        .job_state
        .clone()
}

#[test]
fn an_agent_restricted_to_a_queue_is_deployed_there_only_when_allowed_and_permitted() {
    let lab = RackLab::new();
    let tf = &lab.fleet.testflinger;
    // Each agent polls only its restricted queue once it has an owner (testflinger#724).
    for (i, owner) in [(1, CLIENT), (2, "another-team"), (3, CLIENT)] {
        let (host, cid) = (format!("host-{i:02}"), format!("cid-{i:02}"));
        tf.add_agent(&host, "waiting", &[&host, &cid], "TOR3", Some(("pass", 3)));
        tf.restrict_queue(&cid, &[owner]);
    }
    // The rack allows cid-01 and cid-02; cid-03 is ours by ownership but not named.
    with_client(&lab, "    restricted_queues: [cid-01, cid-02]\n");
    let plan = plan_json(&lab);
    assert_eq!(
        deploy(&plan, "host-01").unwrap()["queue"],
        "cid-01",
        "{plan:#}"
    );
    for (host, why) in [
        (
            "host-02",
            "client lab-deployer not permitted (owners: another-team)",
        ),
        (
            "host-03",
            "cid-03: not listed in the rack's restricted_queues",
        ),
    ] {
        let m = machine(&plan, host);
        assert_eq!(m["state"], "restricted_queue", "{m:#}");
        let detail = m["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("agent serves only restricted queue(s) "),
            "{detail}"
        );
        assert!(detail.contains(why), "{detail}");
        assert!(deploy(&plan, host).is_none());
    }
    let explain = run(&lab, &["explain", "rack-a", lab.config_arg()]);
    assert!(
        explain
            .stdout
            .contains("host-02: restricted_queue (agent serves only"),
        "{}",
        explain.stdout
    );

    run(&lab, &["apply", lab.config_arg()]).expect_code(0);
    let submitted = lab.submitted_agents();
    assert!(submitted.contains(&"cid-01".to_string()), "{submitted:?}");
    assert!(
        !submitted
            .iter()
            .any(|q| ["host-01", "host-02", "cid-02", "host-03", "cid-03"].contains(&q.as_str()))
    );
    // The agent takes it: the deploy went where it polls.
    let taken = tf.poll_agents();
    assert!(
        taken.iter().any(|(agent, _)| agent == "host-01"),
        "{taken:?}"
    );
}

#[test]
fn a_deploy_waiting_past_stuck_after_is_cancelled_before_the_machine_is_deployed_again() {
    let lab = RackLab::new();
    let old = host07_job(&lab);
    // 22 hours after it was submitted the deploy still holds host-07 (stuck_after is 1d).
    lab.fleet.testflinger.advance_clock(22 * 3600);
    let plan = plan_json(&lab);
    assert_eq!(machine(&plan, "host-07")["state"], "in_flight");

    lab.fleet.testflinger.advance_clock(3 * 3600);
    let plan = plan_json(&lab);
    let host07 = machine(&plan, "host-07");
    assert_eq!(host07["state"], "deploy", "{host07:#}");
    let detail = host07["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("stuck job {old} (waiting since")),
        "{detail}"
    );
    assert!(
        detail.contains("past stuck_after (24h)): cancelled first"),
        "{detail}"
    );
    let cancel = &deploy(&plan, "host-07").unwrap()["cancel_first"];
    assert_eq!(cancel[0]["job_id"], old.as_str(), "{cancel:#}");
    let text = run(&lab, &["plan", lab.config_arg()]).stdout;
    assert!(text.contains("stuck deploy(s) to cancel"), "{text}");
    let markdown = run(&lab, &["plan", lab.config_arg(), "--format", "markdown"]).stdout;
    assert!(
        markdown.contains(&format!("cancel stuck job {old} on host-07")),
        "{markdown}"
    );

    let apply = run(&lab, &["apply", lab.config_arg()]);
    apply.expect_code(0);
    assert!(
        apply.stdout.contains("Stuck deploys: cancelled 1 of 1"),
        "{}",
        apply.stdout
    );
    assert!(
        apply.stdout.contains(&format!(
            "ok     rack-a host-07: cancel job {old} (stuck: waiting since"
        )),
        "{}",
        apply.stdout
    );
    assert_eq!(job_state(&lab, &old), "cancelled");
    let fresh: Vec<_> = (lab.fleet.testflinger.jobs().into_iter())
        .filter(|j| j.queue() == "host-07" && j.job_state == "waiting")
        .collect();
    assert_eq!(fresh.len(), 1, "one deploy of host-07 waits now: {fresh:?}");
    // The next run sees the new deploy in flight, and nothing more to cancel.
    let plan = plan_json(&lab);
    assert_eq!(machine(&plan, "host-07")["state"], "in_flight");
}

#[test]
fn a_deploy_on_a_queue_the_agent_no_longer_polls_is_cancelled_and_replaced_at_once() {
    let (lab, old) = host07_on_a_new_queue();
    let tf = &lab.fleet.testflinger;
    let plan = plan_json(&lab);
    let detail = machine(&plan, "host-07")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        detail.contains("waiting on queue host-07, which the agent does not poll (host-07-b)"),
        "{detail}"
    );
    assert_eq!(deploy(&plan, "host-07").unwrap()["queue"], "host-07-b");

    // A failed cancel leaves the machine alone this run; the others go ahead.
    let action = format!("/v1/job/{old}/action");
    tf.server()
        .inject("POST", &action, Fault::status(503).times(3));
    let apply = run(&lab, &["apply", lab.config_arg()]);
    apply.expect_code(3);
    assert!(
        apply.stdout.contains("Stuck deploys: cancelled 0 of 1"),
        "{}",
        apply.stdout
    );
    assert!(
        apply
            .stdout
            .contains(&format!("not tried: cancelling stuck job {old} failed")),
        "{}",
        apply.stdout
    );
    assert_eq!(job_state(&lab, &old), "waiting");
    assert!(!lab.submitted_agents().contains(&"host-07-b".to_string()));

    // Next run: a cancel the server answers "already completed or cancelled" is done.
    tf.server().clear_faults();
    let ended = Fault::status(400).with_body("The job is already completed or cancelled");
    tf.server().inject("POST", &action, ended.times(1));
    let apply = run(&lab, &["apply", lab.config_arg()]);
    apply.expect_code(0);
    assert!(apply.stdout.contains("already ended"), "{}", apply.stdout);
    assert_eq!(
        lab.submitted_agents()
            .iter()
            .filter(|q| *q == "host-07-b")
            .count(),
        1
    );
}

#[test]
fn a_stuck_deploy_cancelled_before_a_deploy_that_failed_does_not_make_the_machine_wait() {
    let (lab, old) = host07_on_a_new_queue();
    let tf = &lab.fleet.testflinger;
    // The cancel goes through (earlier faults win; a zero delay serves normally), every
    // submission is refused.
    tf.server().inject("POST", "/v1/job/", Fault::delay(0));
    tf.server().inject("POST", "/v1/job", Fault::status(503));
    let apply = run(&lab, &["apply", lab.config_arg()]);
    apply.expect_code(3);
    assert_eq!(job_state(&lab, &old), "cancelled");
    assert!(lab.submitted_agents().is_empty());

    // The cancelled job never ran: it does not set the cadence, so host-07 is due at once.
    tf.server().clear_faults();
    let plan = plan_json(&lab);
    let host07 = machine(&plan, "host-07");
    assert_eq!(host07["state"], "deploy", "{host07}");
    assert_eq!(deploy(&plan, "host-07").unwrap()["queue"], "host-07-b");
}

#[test]
fn a_capped_machine_does_not_claim_its_stuck_deploy_is_cancelled_first() {
    let (lab, old) = host07_on_a_new_queue();
    // One deploy per run: host-01 goes, host-07 is due but capped.
    std::fs::write(&lab.config, lab.yaml(1)).unwrap();
    let plan = plan_json(&lab);
    let host07 = machine(&plan, "host-07");
    assert_eq!(host07["state"], "capped", "{host07}");
    let detail = host07["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("stuck job {old} (waiting on queue host-07"))
            && detail
                .ends_with(": no longer holds the machine; cancelled when it is next deployed"),
        "{detail}"
    );
    let explained = run(&lab, &["explain", "rack-a", lab.config_arg()]).stdout;
    assert!(explained.contains("host-07: capped"), "{explained}");
    assert!(!explained.contains("cancelled first"), "{explained}");
}

#[test]
fn a_saved_plans_cancel_is_dropped_when_the_job_started_meanwhile() {
    let lab = RackLab::new();
    let old = host07_job(&lab);
    let tf = &lab.fleet.testflinger;
    tf.advance_clock(25 * 3600);
    run(&lab, &["plan", lab.config_arg(), "--out", "plan.json"]).expect_code(0);
    let saved = std::fs::read_to_string(lab.config.with_file_name("plan.json")).unwrap();
    let saved: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        deploy(&saved, "host-07").unwrap()["cancel_first"][0]["job_id"],
        old.as_str()
    );
    // The agent finally takes the job: it is running, not stuck, and still ours.
    assert!(tf.advance_job(&old, "provision"));
    let out = run(
        &lab,
        &[
            "apply",
            lab.config_arg(),
            "--plan",
            "plan.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(job_state(&lab, &old), "provision", "{}", out.stdout);
    assert!(!out.stdout.is_empty(), "{}", out.stderr);
    let report = out.json();
    let actions = report["actions"].as_array().unwrap();
    let host07: Vec<&Value> = actions
        .iter()
        .filter(|a| a["target"] == "host-07")
        .collect();
    assert!(!host07.is_empty(), "{report:#}");
    assert!(
        host07
            .iter()
            .all(|a| a["outcome"] == "skipped" && a["error"]["class"] == "drifted"),
        "{host07:#?}"
    );
    assert!(
        !actions
            .iter()
            .any(|a| a["action"] == "cancel_deploy" && a["outcome"] == "done")
    );
}

#[test]
fn a_stuck_after_past_retention_or_a_restricted_queue_with_a_comma_is_refused_where_written() {
    let lab = RackLab::new();
    for (extra, words) in [
        ("    stuck_after: 8d\n", ["racks.yaml:16:18:", "7 days"]),
        (
            "    stuck_after: 0s\n",
            ["racks.yaml:16:18:", "longer than zero"],
        ),
        (
            "    restricted_queues: [\"a,b\"]\n",
            ["racks.yaml:16:25:", "matched whole"],
        ),
    ] {
        let yaml = lab
            .yaml(40)
            .replace("    every: 6h\n", &format!("    every: 6h\n{extra}"));
        std::fs::write(&lab.config, yaml).unwrap();
        let out = crate::support::devicepool(&["validate", lab.config_arg()]).run();
        assert_eq!(out.code, 1, "{extra}: {out:?}");
        for word in words {
            assert!(
                out.stderr.contains(word),
                "{extra}: want {word:?} in {}",
                out.stderr
            );
        }
    }
}
