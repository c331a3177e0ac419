//! Unit tests of `reconcilers/racks/redeploy.rs`: small racks whose machines' newest deploys
//! ran the current spec, an older one, or none known.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Draft, roll_out};
use crate::reconcilers::PoolStatus;
use crate::reconcilers::racks::config::Rack;
use crate::reconcilers::racks::model::{Deploy, MachineDecision, MachineState, RackPlan};
use crate::reconcilers::rollout::RolloutState;
use crate::snapshot::{
    AgentHistory, LastResult, RackState, ResultRead, SpecJobs, TestflingerAgent, TestflingerJob,
    TestflingerResult,
};

const SPEC: &str = "0123456789ab";

/// Which spec a machine's newest deploy ran, and whether it is deployable apart from `every`.
#[derive(Clone, Copy)]
enum Ran {
    Current,
    Older,
    NoMarker,
}

fn rack(extra: serde_json::Value) -> Rack {
    let mut with = json!({"maas_tags": ["r"]});
    with.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let mut rack: Rack = serde_json::from_value(with).unwrap();
    rack.spec = Some(SPEC.to_string());
    rack
}

fn agent(name: &str, streak: &str) -> TestflingerAgent {
    TestflingerAgent {
        name: name.into(),
        state: "waiting".into(),
        queues: vec![name.into()],
        location: String::new(),
        job_id: None,
        updated_at: None,
        provision_streak_type: Some(streak.into()),
        provision_streak_count: Some(1),
        restricted_to: BTreeMap::new(),
    }
}

fn deploy(host: &str) -> Deploy {
    Deploy {
        agent: host.into(),
        queue: host.into(),
        tags: vec![format!("spec:{SPEC}")],
        job_file: String::new(),
        preconditions: Vec::new(),
        cancel_first: Vec::new(),
    }
}

/// A rack `name` whose machines are `(host, ran, spare)`: every machine not yet due, its newest
/// deploy (ended) having run `ran`; `spare` ones deployable apart from `every`.
fn draft<'a>(
    name: &str,
    rack: &'a Rack,
    state: &'a RackState,
    machines: &[(&str, Ran, bool)],
) -> Draft<'a> {
    let decision = |host: &str| MachineDecision {
        hostname: host.into(),
        state: MachineState::NotDue,
        detail: "due at later".into(),
        last_deploy: None,
        due_since: None,
    };
    Draft {
        rack,
        plan: RackPlan {
            rack: name.into(),
            status: PoolStatus::Planned,
            reason: "0 of 3 machine(s) due, deploying 0".into(),
            deploys: Vec::new(),
            machines: machines.iter().map(|(h, _, _)| decision(h)).collect(),
            rollout: None,
        },
        spare: (machines.iter())
            .filter(|(_, _, spare)| *spare)
            .map(|(h, _, _)| deploy(h))
            .collect(),
        state: Some(state),
    }
}

/// What was read of such a rack: one ended deploy per machine, and the spec searches' answer.
fn state(machines: &[(&str, Ran, bool)]) -> RackState {
    let mut state = RackState::default();
    let mut specs = SpecJobs {
        spec: SPEC.into(),
        ..SpecJobs::default()
    };
    for (host, ran, _) in machines {
        let id = format!("job-{host}");
        match ran {
            Ran::Current => {
                specs.current.insert(id.clone());
                specs.marked.insert(id.clone());
            }
            Ran::Older => {
                specs.marked.insert(id.clone());
            }
            Ran::NoMarker => {}
        }
        let job = TestflingerJob {
            job_id: id,
            job_state: "complete".into(),
            created_at: Some("2026-11-27T08:00:00Z".parse().unwrap()),
        };
        let history = AgentHistory {
            jobs: vec![job],
            ..AgentHistory::default()
        };
        state.histories.insert(host.to_string(), history);
    }
    state.specs = Some(specs);
    state
}

/// Gives every machine of `state` whose newest deploy ran the current spec the result of that
/// deploy, its phases exiting as `phases` say (as the roll-out's result read finds it).
fn with_results(mut state: RackState, phases: &[(&str, i64)]) -> RackState {
    let current = state.specs.as_ref().unwrap().current.clone();
    for history in state.histories.values_mut() {
        let job = &history.jobs[0].job_id;
        if current.contains(job) {
            let result = TestflingerResult {
                job_state: "complete".into(),
                phase_status: phases.iter().map(|(p, c)| (p.to_string(), *c)).collect(),
            };
            history.spec_result = Some(LastResult {
                job_id: job.clone(),
                read: ResultRead::Found(result),
            });
        }
    }
    state
}

fn states_of(plan: &RackPlan) -> Vec<(&str, MachineState)> {
    (plan.machines.iter())
        .map(|m| (m.hostname.as_str(), m.state))
        .collect()
}

#[test]
fn only_machines_whose_newest_deploy_ran_an_older_spec_are_outdated_and_spare_ones_redeployed() {
    let machines = [
        ("m1", Ran::Current, true),
        ("m2", Ran::Older, true),
        ("m3", Ran::NoMarker, true),
        ("m4", Ran::Older, false),
        ("m5", Ran::Older, true),
    ];
    let (rack, state) = (rack(json!({})), state(&machines));
    let agents: Vec<_> = machines.iter().map(|(h, _, _)| agent(h, "pass")).collect();
    let plans = roll_out(vec![draft("a", &rack, &state, &machines)], &agents);
    let rollout = plans[0].rollout.as_ref().unwrap();
    // m3 has no marker: unknown, never outdated; m4 is outdated but not deployable now.
    assert_eq!(rollout.outdated, ["m2", "m4", "m5"]);
    assert_eq!((rollout.replace, rollout.state), (1, RolloutState::Rolling));
    assert_eq!(
        states_of(&plans[0]),
        [
            ("m1", MachineState::NotDue),
            ("m2", MachineState::Outdated),
            ("m3", MachineState::NotDue),
            ("m4", MachineState::NotDue),
            ("m5", MachineState::NotDue),
        ]
    );
    let deployed: Vec<&str> = plans[0].deploys.iter().map(|d| d.agent.as_str()).collect();
    assert_eq!(deployed, ["m2"]);
    let detail = &plans[0].machines[1].detail;
    assert!(
        detail.starts_with(&format!("spec outdated → {SPEC}, roll-out 1 of 1")),
        "{detail}"
    );
}

#[test]
fn roll_out_redeploys_take_only_what_the_due_machines_leave_of_max_deploys_per_run() {
    let machines = [
        ("m1", Ran::Older, true),
        ("m2", Ran::Older, true),
        ("m3", Ran::Older, true),
    ];
    let rack = rack(json!({"max_deploys_per_run": 2, "rollout": {"max_per_run": 3}}));
    let state = state(&machines);
    let agents: Vec<_> = machines.iter().map(|(h, _, _)| agent(h, "pass")).collect();
    let mut first = draft("a", &rack, &state, &machines);
    // One machine is due by `every` and takes one of the two deploys.
    first.plan.deploys.push(deploy("due-1"));
    let plans = roll_out(vec![first], &agents);
    let rollout = plans[0].rollout.as_ref().unwrap();
    assert_eq!(rollout.replace, 1, "{}", rollout.reason);
    assert!(
        rollout
            .reason
            .contains("max_deploys_per_run leaves room for 1")
    );
    let deployed: Vec<&str> = plans[0].deploys.iter().map(|d| d.agent.as_str()).collect();
    assert_eq!(deployed, ["due-1", "m1"], "the due machine first");
}

#[test]
fn a_rack_waits_for_its_canary_rack_and_pauses_when_the_canary_fails() {
    let canary_machines = [("c1", Ran::Current, false), ("c2", Ran::Older, true)];
    let machines = [("m1", Ran::Older, true)];
    let canary_rack = rack(json!({}));
    let follower = rack(json!({"rollout": {"canary": {"pool": "canary"}}}));
    let follower_state = state(&machines);
    let run = |provision: i64, canary_machines: &[(&str, Ran, bool)]| {
        let canary_state = with_results(state(canary_machines), &[("provision", provision)]);
        let agents = vec![
            agent("c1", "pass"),
            agent("c2", "pass"),
            agent("m1", "pass"),
        ];
        let plans = roll_out(
            vec![
                draft("canary", &canary_rack, &canary_state, canary_machines),
                draft("follower", &follower, &follower_state, &machines),
            ],
            &agents,
        );
        let rollout = plans[1].rollout.clone().unwrap();
        (plans[0].deploys.len(), plans[1].deploys.len(), rollout)
    };
    // The canary still has an outdated machine: it redeploys it, the follower waits.
    let (canary, follower_deploys, rollout) = run(0, &canary_machines);
    assert_eq!((canary, follower_deploys), (1, 0));
    assert_eq!(rollout.state, RolloutState::Waiting);
    assert!(
        rollout
            .reason
            .contains("canary pool canary still has 1 outdated")
    );
    // The canary is done and proven: the follower rolls.
    let done = [("c1", Ran::Current, false), ("c2", Ran::Current, true)];
    let (_, follower_deploys, rollout) = run(0, &done);
    assert_eq!(
        (follower_deploys, rollout.state),
        (1, RolloutState::Rolling)
    );
    // The canary's new deploys failed their provision: the follower is paused.
    let (_, follower_deploys, rollout) = run(1, &done);
    assert_eq!((follower_deploys, rollout.state), (0, RolloutState::Paused));
}

#[test]
fn unread_specs_roll_nothing_out_and_say_why() {
    let machines = [("m1", Ran::Older, true)];
    let rack = rack(json!({}));
    let mut state = state(&machines);
    state.specs = None;
    state.specs_unread = Some("Testflinger GET /v1/job/search: HTTP 500".into());
    let plans = roll_out(vec![draft("a", &rack, &state, &machines)], &[]);
    let rollout = plans[0].rollout.as_ref().unwrap();
    assert_eq!((rollout.replace, rollout.state), (0, RolloutState::Waiting));
    assert!(rollout.reason.contains("HTTP 500"), "{}", rollout.reason);
    assert!(plans[0].deploys.is_empty());
    // Searched for another spec (a replayed snapshot after the template changed): same.
    let mut state = self::state(&machines);
    state.specs.as_mut().unwrap().spec = "ba9876543210".into();
    let plans = roll_out(vec![draft("a", &rack, &state, &machines)], &[]);
    assert!(plans[0].deploys.is_empty());
}

#[test]
fn the_global_cap_clips_roll_out_redeploys_first_and_the_roll_out_says_so() {
    use crate::reconcilers::KindPlan;
    let machines = [("m1", Ran::Older, true), ("m2", Ran::Older, true)];
    let rack = rack(json!({"rollout": {"max_per_run": 2}}));
    let state = state(&machines);
    let agents: Vec<_> = machines.iter().map(|(h, _, _)| agent(h, "pass")).collect();
    let mut first = draft("a", &rack, &state, &machines);
    first.plan.deploys.push(deploy("due-1"));
    let mut plan = roll_out(vec![first], &agents).remove(0);
    assert_eq!(plan.rollout.as_ref().unwrap().replace, 2);
    plan.clip(2, "; capped");
    let deployed: Vec<&str> = plan.deploys.iter().map(|d| d.agent.as_str()).collect();
    assert_eq!(deployed, ["due-1", "m1"], "the due machine is kept");
    assert_eq!(plan.rollout.as_ref().unwrap().replace, 1);
    assert_eq!(
        states_of(&plan),
        [("m1", MachineState::Outdated), ("m2", MachineState::Capped)]
    );
}

#[test]
fn the_new_spec_fares_by_its_own_deploys_results_never_by_an_older_deploys_streak() {
    let machines = [
        ("m1", Ran::Current, false),
        ("m2", Ran::Current, false),
        ("m3", Ran::Older, true),
        ("m4", Ran::Older, true),
    ];
    let rack = rack(json!({"rollout": {"max_per_run": 2}}));
    // Every agent's last provision passed: the older deploys'. The new deploys failed in
    // setup, before provisioning, so the streak never saw them.
    let agents: Vec<_> = machines.iter().map(|(h, _, _)| agent(h, "pass")).collect();
    let failed_setup = with_results(state(&machines), &[("setup", 1), ("cleanup", 0)]);
    let plans = roll_out(vec![draft("a", &rack, &failed_setup, &machines)], &agents);
    let rollout = plans[0].rollout.as_ref().unwrap();
    assert_eq!((rollout.state, rollout.replace), (RolloutState::Paused, 0));
    assert!(
        rollout
            .reason
            .contains("the new spec 2 of 2 failed, the old 0 of 2 failed"),
        "{}",
        rollout.reason
    );
    assert!(plans[0].deploys.is_empty());
    // Unread results prove nothing and fail nothing: a canary fraction waits for proof.
    let fraction = self::rack(json!({"rollout": {"max_per_run": 2, "canary": {"fraction": 0.5}}}));
    let unread = state(&machines);
    let plans = roll_out(vec![draft("a", &fraction, &unread, &machines)], &agents);
    let rollout = plans[0].rollout.as_ref().unwrap();
    assert_eq!((rollout.state, rollout.replace), (RolloutState::Waiting, 0));
    assert!(
        rollout.reason.contains("0 of 2 on the new spec proven"),
        "{}",
        rollout.reason
    );
    // Their results passed: proven, the rest follow.
    let passed = with_results(state(&machines), &[("setup", 0), ("provision", 0)]);
    let plans = roll_out(vec![draft("a", &fraction, &passed, &machines)], &agents);
    let rollout = plans[0].rollout.as_ref().unwrap();
    assert_eq!((rollout.state, rollout.replace), (RolloutState::Rolling, 2));
}
