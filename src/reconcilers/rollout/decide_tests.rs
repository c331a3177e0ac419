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
    let policy = after_canary_pool(3);
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

/// `max_per_run` `per_run`, after the canary pool `canary`.
fn after_canary_pool(per_run: u32) -> Rollout {
    Rollout {
        max_per_run: per_run,
        canary: Some(Canary {
            pool: Some("canary".into()),
            fraction: None,
        }),
        ..Rollout::default()
    }
}

fn fraction(share: f64, per_run: u32) -> Rollout {
    Rollout {
        max_per_run: per_run,
        canary: Some(Canary {
            pool: None,
            fraction: Some(share),
        }),
        ..Rollout::default()
    }
}

#[test]
fn a_canary_share_rounds_up_but_never_past_a_whole_number_floating_point_overshoots() {
    // 100 × 0.07 is 7.000000000000001 in f64: the share is 7, not 8.
    let policy = fraction(0.07, 20);
    let first = decide(
        &policy,
        facts(100, 100, fared(0, 0, 0), fared(100, 100, 0)),
        None,
    );
    assert_eq!((first.state, first.replace), (RolloutState::Canary, 7));
    assert!(
        first.reason.starts_with("canary: 7 of 100 first"),
        "{}",
        first.reason
    );
    for (size, share, want) in [(25, 0.28, 7), (50, 0.14, 7), (75, 0.68, 51), (10, 0.25, 3)] {
        assert_eq!(super::canary_share(size, share), want, "{size} × {share}");
    }
    // At least one object, however small the share or the pool.
    assert_eq!(super::canary_share(3, 0.01), 1);
    assert_eq!(super::canary_share(0, 0.5), 1);
}

#[test]
fn a_canary_fraction_of_one_rolls_everything_as_canary_within_max_per_run() {
    let policy = fraction(1.0, 2);
    let plan = decide(&policy, facts(5, 5, fared(0, 0, 0), fared(5, 5, 0)), None);
    assert_eq!((plan.state, plan.replace), (RolloutState::Canary, 2));
    assert!(
        plan.reason.contains("canary: 5 of 5 first"),
        "{}",
        plan.reason
    );
    // The last one: never more than is outdated, even if the share asks for more.
    let mut last = facts(1, 1, fared(4, 4, 0), fared(1, 1, 0));
    last.size = 8;
    let plan = decide(&policy, last, None);
    assert_eq!((plan.state, plan.replace), (RolloutState::Canary, 1));
    let done = decide(&policy, facts(0, 0, fared(5, 5, 0), fared(0, 0, 0)), None);
    assert_eq!((done.state, done.replace), (RolloutState::Converged, 0));
}

#[test]
fn an_empty_pool_is_converged_whatever_its_policy() {
    for policy in [per_run(1), fraction(0.5, 3), fraction(1.0, 1)] {
        let plan = decide(&policy, facts(0, 0, fared(0, 0, 0), fared(0, 0, 0)), None);
        assert_eq!((plan.state, plan.replace), (RolloutState::Converged, 0));
        assert_eq!(plan.reason, "every object runs the current spec");
    }
}

#[test]
fn a_pool_waits_while_its_canary_pool_is_disabled_or_held_and_says_so() {
    let policy = after_canary_pool(3);
    let mine = facts(4, 4, fared(0, 0, 0), fared(4, 4, 0));
    let plan = decide(&policy, mine.clone(), Some(("canary", None)));
    assert_eq!((plan.state, plan.replace), (RolloutState::Waiting, 0));
    assert!(
        plan.reason
            .contains("canary pool canary's roll-out is not known this run"),
        "{}",
        plan.reason
    );
    assert!(plan.reason.contains("disabled, held"), "{}", plan.reason);
    // Its own new spec failing still pauses it first: the canary gate comes after.
    let failing = facts(4, 4, fared(1, 0, 1), fared(4, 4, 0));
    let plan = decide(&policy, failing, Some(("canary", None)));
    assert_eq!(plan.state, RolloutState::Paused);
    // A canary pool with nothing left on its old spec: any failure on the new one pauses.
    let sound_then_one_failed = facts(0, 0, fared(3, 2, 1), fared(0, 0, 0));
    let plan = decide(
        &policy,
        mine,
        Some(("canary", Some(&sound_then_one_failed))),
    );
    assert_eq!((plan.state, plan.replace), (RolloutState::Paused, 0));
    assert!(
        plan.reason
            .contains("new spec 1 of 3 failed, its old 0 of 0 failed"),
        "{}",
        plan.reason
    );
}

#[test]
fn a_plan_line_says_how_many_are_outdated_replaced_and_why() {
    let plan = decide(
        &per_run(2),
        facts(6, 6, fared(0, 0, 0), fared(6, 6, 0)),
        None,
    );
    assert_eq!(
        plan.line(),
        "spec 0123456789ab: 6 outdated, replacing 2 (rolling): max_per_run 2, 6 replaceable now"
    );
}
