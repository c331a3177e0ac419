use super::*;

#[test]
fn a_digest_is_twelve_hex_and_tells_specs_apart() {
    let a = spec_digest("image: runner:17");
    let b = spec_digest("image: runner:18");
    assert!(is_spec_digest(&a), "{a}");
    assert_ne!(a, b);
    assert_eq!(a, spec_digest("image: runner:17"));
    assert!(!is_spec_digest("ABCDEF123456"));
    assert!(!is_spec_digest("abc"));
}

fn problems_of(name: &str, rollout: &Rollout, other: Option<&Rollout>) -> Vec<String> {
    let mut problems = Vec::new();
    let siblings = |n: &str| (n == "other").then_some(other).flatten();
    check_rollout(
        &mut problems,
        "/runner_pools/x/rollout",
        name,
        rollout,
        siblings,
    );
    problems
        .iter()
        .map(|p| format!("{}: {}", p.pointer, p.message))
        .collect()
}

fn canary(pool: Option<&str>, fraction: Option<f64>) -> Rollout {
    Rollout {
        canary: Some(Canary {
            pool: pool.map(str::to_string),
            fraction,
        }),
        ..Rollout::default()
    }
}

#[test]
fn a_canary_names_one_thing_that_exists_and_does_not_chain() {
    let plain = Rollout::default();
    assert!(problems_of("x", &plain, None).is_empty());
    assert!(problems_of("x", &canary(Some("other"), None), Some(&plain)).is_empty());
    assert!(problems_of("x", &canary(None, Some(0.2)), None).is_empty());
    let both = problems_of("x", &canary(Some("other"), Some(0.2)), Some(&plain));
    assert!(both[0].contains("exactly one"), "{both:?}");
    let zero = problems_of("x", &canary(None, Some(0.0)), None);
    assert!(zero[0].ends_with("above 0 and at most 1"), "{zero:?}");
    let itself = problems_of("x", &canary(Some("x"), None), None);
    assert!(itself[0].contains("its own canary"), "{itself:?}");
    let missing = problems_of("x", &canary(Some("nope"), None), None);
    assert!(missing[0].contains("\"nope\""), "{missing:?}");
    let chained = canary(Some("third"), None);
    let chain = problems_of("x", &canary(Some("other"), None), Some(&chained));
    assert!(chain[0].contains("do not chain"), "{chain:?}");
    let zero_per_run = Rollout {
        max_per_run: 0,
        ..Rollout::default()
    };
    let zero_per_run = problems_of("x", &zero_per_run, None);
    assert!(zero_per_run[0].starts_with("/runner_pools/x/rollout/max_per_run"));
}
