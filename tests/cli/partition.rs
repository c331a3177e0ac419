//! `--pool GLOB` / `--exclude-pool GLOB`: a run covers only the entries its globs select;
//! the others are not read, need no credential and are not in the plan; a glob that matches
//! nothing is refused, listing the names, before any request.

use crate::support::{Lab, pool, token_env};

fn three_pools() -> Lab {
    Lab::new(vec![pool("a55", 1, 1), pool("a54", 1, 1), pool("p9", 1, 1)])
}

fn planned_pools(out: &crate::support::Outcome) -> Vec<String> {
    let plan = out.json();
    let pools = plan["device_pools"].as_array().expect("device_pools");
    pools
        .iter()
        .map(|p| p["pool"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn only_the_selected_pools_are_read_and_planned() {
    let lab = three_pools();
    let args = ["plan", lab.config_arg(), "--format", "json"];
    let out = lab.run(&[&args[..], &["--pool", "a5?", "--exclude-pool", "a54"]].concat());
    out.expect_code(0);
    assert_eq!(planned_pools(&out), ["a55"]);
    let read: Vec<String> = lab.requests().into_iter().map(|r| r.path).collect();
    assert!(read.iter().any(|p| p.contains("gecko-t-a55")), "{read:?}");
    assert!(
        !read
            .iter()
            .any(|p| p.contains("gecko-t-p9") || p.contains("gecko-t-a54")),
        "{read:?}"
    );
    // Repeated globs add up.
    let out = lab.run(&[&args[..], &["--pool", "p9", "--pool", "a54"]].concat());
    out.expect_code(0);
    assert_eq!(planned_pools(&out), ["a54", "p9"]);
}

#[test]
fn apply_needs_only_the_tokens_of_its_partition() {
    let lab = three_pools();
    let out = lab
        .command(&[
            "apply",
            lab.config_arg(),
            "--pool",
            "p9",
            "--format",
            "json",
        ])
        .env_remove(&token_env("a55"))
        .env_remove(&token_env("a54"))
        .run();
    out.expect_code(0);
    let launched: Vec<Option<String>> = lab
        .fleet
        .lambdatest
        .launches()
        .into_iter()
        .map(|job| job.fixed_ip)
        .collect();
    assert_eq!(launched, [Some("P9-01".to_string())]);
}

#[test]
fn a_glob_that_matches_nothing_lists_the_names_before_any_request() {
    let lab = three_pools();
    for flag in ["--pool", "--exclude-pool"] {
        let out = lab.run(&["plan", lab.config_arg(), flag, "nope"]);
        out.expect_code(1);
        let expected = format!(
            "{flag} \"nope\" matches no device pool, rack or runner pool; the names are: a54, a55, p9"
        );
        assert!(out.stderr.contains(&expected), "{}", out.stderr);
    }
    let out = lab.run(&[
        "apply",
        lab.config_arg(),
        "--pool",
        "a*",
        "--exclude-pool",
        "*5?",
    ]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("leave nothing to plan"),
        "{}",
        out.stderr
    );
    assert!(lab.requests().is_empty());
}

#[test]
fn the_metrics_name_the_partition() {
    let lab = three_pools();
    lab.run(&[
        "plan",
        lab.config_arg(),
        "--pool",
        "a*",
        "--exclude-pool",
        "a54",
        "--metrics-file",
        "m.prom",
    ])
    .expect_code(0);
    let text = std::fs::read_to_string(lab.path("m.prom")).unwrap();
    let line = "devicepool_pool_held{partition=\"a*,!a54\",kind=\"device_pool\",pool=\"a55\"} 0\n";
    assert!(text.contains(line), "{text}");
    assert!(!text.contains("pool=\"p9\""), "{text}");
    assert!(
        text.contains("devicepool_last_run_exit_code{partition=\"a*,!a54\"} 0\n"),
        "{text}"
    );
}
