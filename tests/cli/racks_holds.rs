//! A read that fails for one agent of a rack holds only that machine: the failed job search
//! is named in its plan line (API, request, status) and every other due machine deploys.
//! Driven through the binary against the MAAS and Testflinger fakes.

use devicepool_sim::Fault;

use crate::racks::RackLab;

#[test]
fn a_failed_job_search_holds_only_its_machine() {
    let cases = [
        ("HTTP 500", Fault::status(500).times(1), "HTTP 500"),
        ("timeout", Fault::delay(3000).times(1), "no response"),
    ];
    for (name, fault, why) in cases {
        let lab = RackLab::new();
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
        assert_eq!(deploys, 31, "{name}: the other due machines are planned");

        // The next run reads it again; the fault is spent and all 32 deploy.
        let out = lab.run(&["apply", lab.config_arg()]);
        out.expect_code(0);
        assert_eq!(lab.submitted_agents().len(), 32, "{name}: {}", out.stdout);
    }
}
