//! Unit tests of `reconcilers/racks/eligibility.rs`: which queue a deploy goes to.

use super::QueueServers;
use crate::load::parse;
use crate::reconcilers::racks::model::MachineState;
use crate::snapshot::TestflingerAgent;

fn agent(name: &str, queues: &[&str], restricted: &[(&str, &[&str])]) -> TestflingerAgent {
    TestflingerAgent {
        name: name.into(),
        state: "waiting".into(),
        queues: queues.iter().map(|q| q.to_string()).collect(),
        location: String::new(),
        job_id: None,
        updated_at: None,
        provision_streak_type: None,
        provision_streak_count: None,
        restricted_to: (restricted.iter())
            .map(|(q, o)| (q.to_string(), o.iter().map(|c| c.to_string()).collect()))
            .collect(),
    }
}

const YAML: &str = "version: 1
sources:
  maas: {url: 'http://maas', api_key_env: K}
  testflinger: {url: 'http://tf', client_id: bot, client_secret_env: S}
racks:
  r:
    maas_tags: [t]
    restricted_queues: [cid-1, cid-2, shared]
";

#[test]
fn a_restricted_agent_is_deployed_only_through_a_listed_owned_private_restricted_queue() {
    let desired = parse(std::path::Path::new("t.yaml"), YAML).unwrap().desired;
    let rack = &desired.racks["r"];
    let agents = [
        agent("m1", &["m1", "cid-1"], &[("cid-1", &["bot"])]),
        agent("m2", &["m2", "cid-2"], &[("cid-2", &["qa"])]),
        agent("m3", &["m3", "cid-3"], &[("cid-3", &["bot"])]),
        agent("m4", &["m4", "shared"], &[("shared", &["bot"])]),
        agent("m5", &["m5", "shared"], &[("shared", &["bot"])]),
        // A restricted queue without owners is not in `restricted_to`: m6 polls every queue.
        agent("m6", &["m6", "cid-6"], &[("cid-6", &[])]),
    ];
    let servers = QueueServers::count(&agents, &desired);
    let queue = |i: usize| servers.deploy_queue(rack, &agents[i]);
    assert_eq!(queue(0), Ok("cid-1"));
    assert_eq!(queue(5), Ok("m6"));
    for (i, why) in [
        (1, "cid-2: client bot not permitted (owners: qa)"),
        (2, "cid-3: not listed in the rack's restricted_queues"),
        (3, "shared: served by another agent too"),
    ] {
        let (state, detail) = queue(i).unwrap_err();
        assert_eq!(state, MachineState::RestrictedQueue);
        assert!(detail.contains(why), "{detail}");
    }
}
