//! A runner pool on several Docker hosts (`docker_hosts`), through the binary against three
//! fake daemons: each start goes to the host with the most room, the plan and `explain` show
//! the placement, and a host that does not answer holds only its share.

use devicepool_sim::DockerSim;

use crate::runners::{IMAGE, RunnerLab};

/// A lab whose pool `autogit` names three hosts taking 1, 3 and 1 runners.
fn three_hosts() -> (RunnerLab, Vec<DockerSim>) {
    let sims: Vec<DockerSim> = (0..3).map(|_| DockerSim::start().unwrap()).collect();
    for sim in &sims {
        sim.add_image(IMAGE);
    }
    let shares: String = sims
        .iter()
        .zip([1, 3, 1])
        .map(|(sim, max)| format!("      - {{host: {}, max_runners: {max}}}\n", sim.host()))
        .collect();
    let lab = RunnerLab::new(&format!("    docker_hosts:\n{shares}"));
    (lab, sims)
}

fn counts(sims: &[DockerSim]) -> Vec<usize> {
    sims.iter().map(|s| s.containers().len()).collect()
}

#[test]
fn starts_go_to_the_host_with_the_most_room_and_the_plan_and_explain_show_where() {
    let (lab, sims) = three_hosts();
    for _ in 0..4 {
        lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    }
    let out = lab.run(&["plan", "--format", "json"]);
    out.expect_code(0);
    let pool = &out.json()["runner_pools"][0];
    let placed: Vec<usize> = pool["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["starts"].as_array().unwrap().len())
        .collect();
    // Rooms 1, 3, 1: the 3 first, twice; then a tie goes to the first listed; then the 3.
    assert_eq!(placed, [1, 3, 0], "{pool:#}");
    let explain = lab.run(&["explain", "autogit"]);
    explain.expect_code(0);
    assert!(
        explain.stdout.contains(&format!(
            "host {}: 0 of max_runners 3; start",
            sims[1].host()
        )),
        "{}",
        explain.stdout
    );

    lab.run(&["apply", "--format", "json"]).expect_code(0);
    assert_eq!(counts(&sims), [1, 3, 0]);
    assert!(lab.fleet.docker.containers().is_empty(), "not the one host");
    let asked = lab.fleet.docker.server().requests();
    assert!(
        asked.is_empty(),
        "no pool on the one host, no request to it: {asked:?}"
    );
    assert_eq!(lab.runner_ids().len(), 4);
}

#[test]
fn a_host_that_does_not_answer_holds_only_its_share() {
    let (lab, mut sims) = three_hosts();
    for _ in 0..3 {
        lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    }
    lab.run(&["apply", "--format", "json"]).expect_code(0);
    assert_eq!(counts(&sims), [1, 2, 0]);
    let on_second: Vec<String> = sims[1]
        .containers()
        .iter()
        .map(|c| c.labels["devicepool.runner-id"].clone())
        .collect();

    // The second host goes away; two more jobs come.
    let gone = sims.remove(1);
    let gone_host = gone.host();
    drop(gone);
    for _ in 0..2 {
        lab.fleet.gitlab.add_pending_job("group/app", &["autogit"]);
    }
    let out = lab.run(&["plan", "--format", "json"]);
    out.expect_code(0);
    let pool = &out.json()["runner_pools"][0];
    assert_eq!(pool["status"]["state"], "planned", "{pool:#}");
    let hosts = pool["hosts"].as_array().unwrap();
    assert_eq!(hosts[1]["host"], gone_host.as_str());
    assert_eq!(hosts[1]["answered"], false);
    for runner in pool["runners"].as_array().unwrap() {
        let id = runner["id"].as_u64().unwrap().to_string();
        if on_second.contains(&id) {
            assert_eq!(runner["state"], "left_alone", "{runner:#}");
        }
    }
    assert!(pool["removals"].as_array().unwrap().is_empty(), "{pool:#}");
    // Only the third host has room.
    let starts: Vec<usize> = hosts
        .iter()
        .map(|h| h["starts"].as_array().unwrap().len())
        .collect();
    assert_eq!(starts, [0, 0, 1], "{pool:#}");
    assert_eq!(
        pool["numbers"]["runners"], 3,
        "the held runners still count"
    );
    lab.run(&["apply", "--format", "json"]).expect_code(0);
    assert_eq!(counts(&sims), [1, 1]);
    assert_eq!(
        lab.runner_ids().len(),
        4,
        "none of the held runners removed"
    );
}

#[test]
fn a_docker_host_that_is_not_an_address_or_named_twice_is_refused_where_it_is_written() {
    let lab = RunnerLab::new(
        "    docker_hosts:\n      - {host: \"http://b:2375\", max_runners: 2}\n      - {host: \"tcp://c:2375\", max_runners: 1}\n      - {host: \"tcp://c:2375\", max_runners: 1}\n",
    );
    let out = lab.run(&["plan"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains(
            "runners.yaml:25:16: runner_pools.autogit.docker_hosts[0].host: \"http://b:2375\""
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "runners.yaml:27:16: runner_pools.autogit.docker_hosts[2].host: this Docker host is named twice"
        ),
        "{}",
        out.stderr
    );
    assert!(
        lab.fleet.gitlab.server().requests().is_empty(),
        "no API call"
    );
}
