//! A read that fails for one agent of a rack holds only that machine: the failed job search
//! is named in its plan line (API, request, status) and every other due machine deploys.
//! Driven through the binary against the MAAS and Testflinger fakes.

use devicepool_sim::Fault;

use crate::racks::RackLab;

/// The timeout case allows every request 10 s and the faulted search is answered only after
/// 10 minutes: the one search times out however slow the machine, and none of the 33 others
/// does, however loaded it is (with 2 s, a loaded machine once timed a second one out).
#[test]
fn a_failed_job_search_holds_only_its_machine() {
    let cases = [
        ("HTTP 500", Fault::status(500).times(1), "HTTP 500"),
        ("timeout", Fault::delay(600_000).times(1), "no response"),
    ];
    for (name, fault, why) in cases {
        let lab = RackLab::new();
        let yaml = lab.yaml(40).replace("timeout: 2s", "timeout: 10s");
        std::fs::write(&lab.config, yaml).unwrap();
        let tf = lab.fleet.testflinger.server();
        tf.inject("GET", "/v1/job/search", fault);
        let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
        plan.expect_code(0);
        let json = plan.json();
        assert_eq!(json["racks"][0]["status"]["state"], "planned", "{name}");
        let machines = json["racks"][0]["machines"].as_array().unwrap().clone();
        let held: Vec<_> = (machines.iter())
            .filter(|m| m["state"] == "history_unknown")
            .collect();
        assert_eq!(held.len(), 1, "{name}: {machines:?}");
        let detail = held[0]["detail"].as_str().unwrap();
        let host = held[0]["hostname"].as_str().unwrap();
        for needed in [
            "testflinger",
            "GET",
            "/v1/job/search",
            &format!("agent%3A{host}"),
            why,
        ] {
            assert!(
                detail.contains(needed),
                "{name}: {detail:?} lacks {needed:?}"
            );
        }
        let deploys = json["racks"][0]["deploys"].as_array().unwrap().len();

        // The next run reads it again; the fault is spent and all 32 due machines deploy.
        let out = lab.run(&["apply", lab.config_arg()]);
        out.expect_code(0);
        let submitted = lab.submitted_agents();
        assert_eq!(submitted.len(), 32, "{name}: {}", out.stdout);
        // The searches run in parallel, so the fault lands on whichever comes first: every
        // due machine but the held one was planned (the held one may be one not due).
        let held_was_due = submitted.iter().any(|agent| agent == host);
        let expected = if held_was_due { 31 } else { 32 };
        assert_eq!(
            deploys, expected,
            "{name}: the other due machines are planned"
        );
    }
}

/// A named fleet's look-alike search covers the whole rack in one request; when it fails it
/// is made again one agent at a time, so its failure holds only the machines whose own
/// search fails too. host-07 holds a deploy made before fleets (a look-alike).
#[test]
fn a_failed_look_alike_search_is_made_again_per_agent() {
    for failures in [1, 2] {
        let lab = RackLab::new();
        let yaml = lab
            .yaml(40)
            .replace("  state_dir: state\n", "  state_dir: state\n  fleet: lab\n");
        std::fs::write(&lab.config, yaml).unwrap();
        let tf = lab.fleet.testflinger.server();
        // The 34 history searches go through; then the rack's look-alike search fails, and
        // with `failures: 2` the first agent's own search (host-01) too.
        tf.inject("GET", "/v1/job/search", Fault::delay(0).times(34));
        tf.inject("GET", "/v1/job/search", Fault::status(500).times(failures));
        tf.clear_requests();
        let plan = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
        plan.expect_code(0);
        let searches = tf
            .requests()
            .iter()
            .filter(|r| r.path == "/v1/job/search")
            .count();
        // History, look-alike, again per agent, then the rack's two spec searches.
        assert_eq!(searches, 34 + 1 + 34 + 2, "failures {failures}");
        let json = plan.json();
        let machines = json["racks"][0]["machines"].as_array().unwrap().clone();
        let state = |host: &str| {
            let m = machines.iter().find(|m| m["hostname"] == host).unwrap();
            (
                m["state"].as_str().unwrap().to_string(),
                m["detail"].as_str().unwrap().to_string(),
            )
        };
        let (host07, why) = state("host-07");
        assert_eq!(host07, "in_flight", "failures {failures}: {why}");
        assert!(why.contains("look-alike"), "{why}");
        let held: Vec<_> = (machines.iter())
            .filter(|m| m["state"] == "history_unknown")
            .map(|m| m["hostname"].as_str().unwrap())
            .collect();
        let want: &[&str] = if failures == 1 { &[] } else { &["host-01"] };
        assert_eq!(held, want, "failures {failures}");
        if failures == 2 {
            let (_, why) = state("host-01");
            assert!(
                why.contains("HTTP 500") && why.contains("match=any"),
                "{why}"
            );
        }
    }
}
