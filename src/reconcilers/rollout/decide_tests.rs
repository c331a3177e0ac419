use super::*;
use crate::reconcilers::rollout::Canary;

fn facts(outdated: u32, replaceable: u32, current: Fared, previous: Fared) -> RolloutFacts {
    RolloutFacts {
        spec: "0123456789ab".into(),
        outdated: (0..outdated).map(|n| format!("r{n}")).collect(),
        replaceable,
        current,
        previous,
        size: current.total + previous.total,
    }
}

fn fared(total: u32, proven: u32, failed: u32) -> Fared {
    Fared {
        total,
        proven,
        failed,
    }
}

fn per_run(n: u32) -> Rollout {
    Rollout {
        max_per_run: n,
        ..Rollout::default()
    }
}

#[test]
fn a_pool_replaces_at_most_max_per_run_and_only_what_is_replaceable() {
    let plan = decide(
        &per_run(2),
        facts(10, 6, fared(0, 0, 0), fared(10, 10, 0)),
        None,
    );
    assert_eq!((plan.state, plan.replace), (RolloutState::Rolling, 2));
    assert_eq!(plan.outdated.len(), 10);
    let busy = decide(
        &per_run(2),
        facts(10, 1, fared(0, 0, 0), fared(10, 10, 0)),
        None,
    );
    assert_eq!(busy.replace, 1);
    let none = decide(
        &per_run(2),
        facts(3, 0, fared(7, 7, 0), fared(3, 3, 0)),
        None,
    );
    assert_eq!((none.state, none.replace), (RolloutState::Waiting, 0));
    let done = decide(
        &per_run(2),
        facts(0, 0, fared(10, 10, 0), fared(0, 0, 0)),
        None,
    );
    assert_eq!((done.state, done.replace), (RolloutState::Converged, 0));
}

#[test]
fn a_new_spec_failing_more_than_the_old_pauses_unless_told_not_to() {
    let failing = facts(8, 8, fared(2, 0, 1), fared(8, 8, 0));
    let plan = decide(&per_run(2), failing.clone(), None);
    assert_eq!((plan.state, plan.replace), (RolloutState::Paused, 0));
    assert!(plan.reason.contains("1 of 2 failed"), "{}", plan.reason);
    let mut careless = per_run(2);
    careless.pause_on_failures = false;
    assert_eq!(decide(&careless, failing, None).replace, 2);
    // As often as before is not more: 1 of 2 against 4 of 8.
    let same = decide(
        &per_run(2),
        facts(8, 8, fared(2, 1, 1), fared(8, 4, 4)),
        None,
    );
    assert_eq!(same.state, RolloutState::Rolling);
}

#[test]
fn a_canary_fraction_goes_first_and_the_rest_wait_for_it_to_prove_itself() {
    let mut policy = per_run(5);
    policy.canary = Some(Canary {
        pool: None,
        fraction: Some(0.2),
    });
    let first = decide(
        &policy,
        facts(10, 10, fared(0, 0, 0), fared(10, 10, 0)),
        None,
    );
    assert_eq!((first.state, first.replace), (RolloutState::Canary, 2));
    let unproven = decide(&policy, facts(8, 8, fared(2, 1, 0), fared(8, 8, 0)), None);
    assert_eq!(
        (unproven.state, unproven.replace),
        (RolloutState::Waiting, 0)
    );
    let proven = decide(&policy, facts(8, 8, fared(2, 2, 0), fared(8, 8, 0)), None);
    assert_eq!((proven.state, proven.replace), (RolloutState::Rolling, 5));
}

#[test]
fn a_canary_pool_must_be_done_proven_and_sound_before_the_rest_follow() {
    let mut policy = per_run(3);
    policy.canary = Some(Canary {
        pool: Some("canary".into()),
        fraction: None,
    });
    let mine = facts(6, 6, fared(0, 0, 0), fared(6, 6, 0));
    let gate = |other: Option<&RolloutFacts>| {
        let plan = decide(&policy, mine.clone(), Some(("canary", other)));
        (plan.state, plan.replace)
    };
    assert_eq!(gate(None), (RolloutState::Waiting, 0));
    let behind = facts(1, 1, fared(1, 1, 0), fared(1, 1, 0));
    assert_eq!(gate(Some(&behind)), (RolloutState::Waiting, 0));
    let unproven = facts(0, 0, fared(2, 0, 0), fared(0, 0, 0));
    assert_eq!(gate(Some(&unproven)), (RolloutState::Waiting, 0));
    let failing = facts(0, 0, fared(2, 1, 1), fared(0, 0, 0));
    assert_eq!(gate(Some(&failing)), (RolloutState::Paused, 0));
    let sound = facts(0, 0, fared(2, 2, 0), fared(0, 0, 0));
    assert_eq!(gate(Some(&sound)), (RolloutState::Rolling, 3));
}
