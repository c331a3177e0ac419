//! What one rack run costs: the requests and response bytes a `plan` and an `apply` of a
//! 40-machine rack of a named fleet make to MAAS and Testflinger, printed per API and endpoint
//! (run with `--nocapture` to see the figures), and bounded so they cannot grow back.

use std::collections::BTreeMap;

use devicepool_sim::{Fleet, SimServer};
use serde_json::json;

use crate::support::{LabDir, Outcome, devicepool};

const LOG_BYTES: usize = 256 * 1024;

fn host(i: usize) -> String {
    format!("host-{i:02}")
}

/// A 40-machine rack of the fleet `lab` after a day and a half of 6-hourly deploys, each
/// leaving a 256 KiB provision log: host-01..16 deployed an hour ago (not due), host-17..20
/// offline, host-21..24 silent for 37 h (`stale` with `agent_stale_after: 1d`), host-25 with
/// a pre-fleet deploy waiting (a look-alike), host-26..40 due.
struct ReadLab {
    fleet: Fleet,
    dir: LabDir,
}

impl ReadLab {
    fn new() -> ReadLab {
        let fleet = Fleet::start().unwrap();
        let (maas, tf) = (&fleet.maas, &fleet.testflinger);
        for i in 1..=40 {
            maas.add_machine(&host(i), &["rack-a"], "Deployed");
            tf.add_agent(&host(i), "waiting", &[&host(i)], "TOR3", None);
        }
        let lab = ReadLab {
            fleet,
            dir: LabDir::new(&["racks.yaml"]),
        };
        for cycle in 0..7 {
            for i in 1..=40 {
                let silent = (21..=24).contains(&i) && cycle > 0;
                let late = cycle == 6 && i > 16;
                if !silent && !late {
                    lab.deploy_and_finish(&host(i));
                }
            }
            if cycle == 0 {
                // Silent from now on: a running agent would post once a day (testflinger#789).
                for i in 21..=24 {
                    lab.fleet.testflinger.stop_agent(&host(i));
                }
            }
            let hours = if cycle == 6 { 1 } else { 6 };
            lab.fleet.testflinger.advance_clock(hours * 3600 + 60);
        }
        for i in 17..=20 {
            lab.fleet.testflinger.set_agent_state(&host(i), "offline");
        }
        lab.submit(
            &host(25),
            &["devicepool".into(), format!("agent:{}", host(25))],
        );
        let config = format!(
            "version: 1\nsettings:\n  fleet: lab\n  state_dir: state\n  http: {{timeout: 5s, retries: 0}}\nsources:\n  maas:\n    url: {}\n    api_key_env: MAAS_API_KEY\n  testflinger:\n    url: {}\nracks:\n  rack-a:\n    maas_tags: [rack-a]\n    every: 6h\n    agent_stale_after: 1d\n    max_deploys_per_run: 10\n",
            lab.fleet.maas.url(),
            lab.fleet.testflinger.url()
        );
        std::fs::write(lab.dir.path().join("racks.yaml"), config).unwrap();
        lab
    }

    fn submit(&self, agent: &str, tags: &[String]) -> String {
        let body = json!({"job_queue": agent, "tags": tags, "provision_data": {"distro": "noble"}});
        let mut response = ureq::post(format!("{}/v1/job", self.fleet.testflinger.url()))
            .send_json(&body)
            .unwrap();
        let reply: serde_json::Value = response.body_mut().read_json().unwrap();
        reply["job_id"].as_str().unwrap().to_string()
    }

    /// A deploy of the fleet `lab` on `agent`, run to the end with a provision log.
    fn deploy_and_finish(&self, agent: &str) {
        let tags = [
            "devicepool-fleet:lab".to_string(),
            "rack:rack-a".into(),
            format!("agent:{agent}"),
            "fleet:lab".into(),
        ];
        let tf = &self.fleet.testflinger;
        let id = self.submit(agent, &tags);
        assert!(tf.advance_job(&id, "provision"));
        tf.set_phase_output(&id, "provision", &"x".repeat(LOG_BYTES));
        assert!(tf.complete_job(&id, &[("setup", 0), ("provision", 0)]));
    }

    fn run(&self, args: &[&str]) -> Outcome {
        self.fleet.maas.server().clear_requests();
        self.fleet.testflinger.server().clear_requests();
        let mut all = args.to_vec();
        all.push("racks.yaml");
        devicepool(&all)
            .current_dir(self.dir.path())
            .env("MAAS_API_KEY", self.fleet.maas.api_key())
            .env(
                "DEVICEPOOL_SIM_CLOCK",
                self.fleet.testflinger.now().to_string(),
            )
            .run()
    }
}

/// Requests and response bytes per endpoint of one server since its log was cleared.
fn cost(server: &SimServer) -> BTreeMap<String, (usize, usize)> {
    let mut by_endpoint: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (path, bytes) in server.response_bytes() {
        let segments: Vec<&str> = path.split('/').collect();
        let endpoint = match segments.as_slice() {
            [_, "v1", "result", _] => "/v1/result/<id>".to_string(),
            [_, "v1", "job", id] if *id != "search" => "/v1/job/<id>".to_string(),
            _ => path.clone(),
        };
        let entry = by_endpoint.entry(endpoint).or_default();
        entry.0 += 1;
        entry.1 += bytes;
    }
    by_endpoint
}

/// Prints the figures of the run just made; returns (requests, bytes) per API.
fn report(lab: &ReadLab, run: &str) -> BTreeMap<&'static str, (usize, usize)> {
    let mut totals = BTreeMap::new();
    for (api, server) in [
        ("maas", lab.fleet.maas.server()),
        ("testflinger", lab.fleet.testflinger.server()),
    ] {
        let endpoints = cost(server);
        let total = endpoints
            .values()
            .fold((0, 0), |(r, b), (r2, b2)| (r + r2, b + b2));
        println!("{run}, {api}: {} requests, {} bytes", total.0, total.1);
        for (endpoint, (requests, bytes)) in &endpoints {
            println!("  {endpoint}: {requests} requests, {bytes} bytes");
        }
        totals.insert(api, total);
    }
    totals
}

/// Each machine's state word in a JSON plan.
fn states(plan: &Outcome) -> BTreeMap<String, String> {
    let machines = plan.json()["racks"][0]["machines"]
        .as_array()
        .unwrap()
        .clone();
    (machines.iter())
        .map(|m| {
            let host = m["hostname"].as_str().unwrap().to_string();
            (host, m["state"].as_str().unwrap().to_string())
        })
        .collect()
}

/// The `tags` of every job search of the run just made.
fn searched_tags(lab: &ReadLab) -> Vec<Vec<String>> {
    let requests = lab.fleet.testflinger.server().requests();
    (requests.iter())
        .filter(|r| r.path == "/v1/job/search")
        .map(|r| {
            let pairs = r.query_pairs().into_iter();
            pairs.filter(|(k, _)| k == "tags").map(|(_, v)| v).collect()
        })
        .collect()
}

#[test]
fn a_rack_run_reads_only_what_its_decisions_need() {
    let lab = ReadLab::new();
    let plan = lab.run(&["plan", "--format", "json"]);
    plan.expect_code(0);
    let searches = searched_tags(&lab);
    let results = lab.fleet.testflinger.server().requests();
    let results = results.iter().filter(|r| r.path.starts_with("/v1/result/"));
    let results = results.count();
    let planned = report(&lab, "plan, 40-machine rack");
    // The figures of both runs are printed before anything is asserted.
    let apply = lab.run(&["apply"]);
    let applied = report(&lab, "apply, 40-machine rack");
    apply.expect_code(0);
    let states = states(&plan);
    let count = |word: &str| states.values().filter(|s| *s == word).count();
    assert_eq!(
        (count("not_due"), count("not_waiting"), count("stale")),
        (16, 4, 4),
        "{states:?}"
    );
    assert_eq!((count("deploy"), count("capped")), (10, 5), "{states:?}");
    assert_eq!(
        states["host-25"], "in_flight",
        "the pre-fleet deploy holds host-25"
    );
    // One history search per deployable agent (32: not the 4 offline, not the 4 stale), one
    // look-alike search for the whole rack, whatever the fleet: no longer up to 4 per agent;
    // two spec searches for the whole rack.
    let on_agent = |i: usize| format!("agent:{}", host(i));
    for i in 17..=24 {
        let searched = searches
            .iter()
            .any(|tags| tags.contains(&on_agent(i)) && tags.len() > 1);
        assert!(
            !searched,
            "{} cannot be deployed, yet its history was read",
            host(i)
        );
    }
    assert_eq!(searches.len(), 33 + 2, "{searches:?}");
    assert!(searches.iter().any(|tags| tags.len() == 32), "{searches:?}");
    // A result only for the 10 machines deployed, each under the documented cap.
    assert_eq!(results, 10);
    let machines = plan.json()["racks"][0]["machines"]
        .as_array()
        .unwrap()
        .clone();
    for machine in &machines {
        let deployed = machine["state"] == "deploy";
        let outcome = &machine["last_deploy"]["outcome"];
        assert_eq!(deployed, *outcome == "ok", "{machine}");
    }
    let (requests, bytes) = planned["testflinger"];
    assert_eq!(
        requests,
        1 + 33 + 2 + 1 + 10,
        "agents, searches, spec searches, one tag read, results"
    );
    assert!(
        bytes < 11 * LOG_BYTES,
        "{bytes} bytes read from Testflinger"
    );

    let submitted = lab.fleet.testflinger.submissions().len();
    assert_eq!(
        applied["testflinger"].0,
        requests + 10,
        "{submitted} jobs on the server"
    );
}
