//! Shared devices (issue 12), through the binary: two device groups, one picked by model name
//! and one by UDID pattern, shared by five pools; each allocation strategy splits the scarce
//! free devices as computed by hand below. Also: selectors that overlap, and the checks
//! `validate` makes before any request.

use crate::support::{
    Lab, Outcome, grouped_pool, pool_of, queue_of, run_with_tokens, token_env, token_of,
};

/// The scenario's pools: (name, group, pending, priority, weight, min_devices).
const POOLS: [(&str, &str, u64, i32, u32, u32); 5] = [
    ("a", "galaxy", 4, 1, 1, 0),
    ("b", "galaxy", 6, 0, 3, 1),
    ("c", "galaxy", 2, 5, 1, 2),
    ("d", "pixel", 2, 0, 1, 0),
    ("e", "pixel", 3, 1, 2, 1),
];

/// Five Galaxy A55 (G-01..G-05), one Galaxy S24 the selector leaves out, three Pixels
/// (PX-01..PX-03); the tasks pending per pool above.
fn scenario(allocation: &str) -> Lab {
    let lab = Lab::new(Vec::new());
    let lt = &lab.fleet.lambdatest;
    for i in 1..=5 {
        lt.add_device(&format!("G-{i:02}"), "Galaxy A55 5G", "active");
    }
    lt.add_device("GS-01", "Galaxy S24", "active");
    for i in 1..=3 {
        lt.add_device(&format!("PX-{i:02}"), "Pixel 8", "active");
    }
    let mut yaml = lab.config_yaml();
    yaml = yaml.replace(
        "device_pools:\n",
        &format!(
            "device_groups:\n  galaxy:\n    select: {{name: 'Galaxy A55*'}}\n    allocation: {allocation}\n  \
             pixel:\n    select: {{udid: 'PX-*'}}\n    allocation: {allocation}\ndevice_pools:\n"
        ),
    );
    for (name, group, pending, priority, weight, min_devices) in POOLS {
        let settings = [
            ("priority", priority.to_string()),
            ("weight", weight.to_string()),
            ("min_devices", min_devices.to_string()),
        ];
        yaml.push_str(&grouped_pool(&lab, (name, group, pending), &settings));
    }
    std::fs::write(&lab.config, yaml).unwrap();
    lab
}

fn run(lab: &Lab, args: &[&str]) -> Outcome {
    run_with_tokens(lab, POOLS.map(|p| p.0), args)
}

/// Starts per pool, a..e, and the devices each got.
fn starts(plan: &serde_json::Value) -> Vec<Vec<String>> {
    POOLS
        .iter()
        .map(|(name, ..)| {
            let starts = pool_of(plan, name)["starts"].as_array().unwrap().clone();
            starts
                .iter()
                .map(|s| s["udid"].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

fn counts(plan: &serde_json::Value) -> Vec<usize> {
    starts(plan).iter().map(Vec::len).collect()
}

// Hand-computed. Galaxy: 5 free; a wants 4, b 6, c 2 (12 in all). Pixel: 3 free; d wants 2,
// e 3 (5 in all). Pools take their share of the free list in name order, G-01 first.
//
// priority:     c (5) 2, a (1) the other 3, b (0) none | e (1) 3, d none.
// round-robin:  a b c a b → 2 2 1                      | d e d → 2 1.
// proportional: 5×4/12 = 1.67, 5×6/12 = 2.5, 5×2/12 = 0.83 → 1 2 0, then the two largest
//               remainders (c .83, a .67) → 2 2 1      | 3×2/5 = 1.2, 3×3/5 = 1.8 → 1 1, then e → 1 2.
// weighted:     minimums 0 1 2, then 2 left by weight a 1 : b 3 (c is full) = 0.5, 1.5 →
//               0 1, the tie on .5 to a → 1 2 2        | minimums 0 1, then 2 by 1 : 2 = .67, 1.33 → d → 1 2.
const EXPECTED: [(&str, [usize; 5]); 4] = [
    ("priority", [3, 0, 2, 0, 3]),
    ("round-robin", [2, 2, 1, 2, 1]),
    ("proportional", [2, 2, 1, 1, 2]),
    ("weighted", [1, 2, 2, 1, 2]),
];

#[test]
fn each_allocation_strategy_shares_two_groups_between_five_pools_as_computed_by_hand() {
    for (allocation, expected) in EXPECTED {
        let lab = scenario(allocation);
        let out = run(&lab, &["plan", lab.config_arg(), "--format", "json"]);
        out.expect_code(0);
        let plan = out.json();
        assert_eq!(counts(&plan), expected, "{allocation}");
        // No device is given twice, and each group's devices stay in the group.
        let all: Vec<String> = starts(&plan).concat();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "{allocation}: {all:?}");
        for (pool, got) in POOLS.iter().zip(starts(&plan)) {
            let prefix = if pool.1 == "galaxy" { "G-" } else { "PX-" };
            assert!(
                got.iter().all(|u| u.starts_with(prefix)),
                "{allocation}: {got:?}"
            );
        }
        let share = &pool_of(&plan, "a")["group"];
        assert_eq!(share["allocation"], allocation);
        assert_eq!(share["pools"], serde_json::json!(["a", "b", "c"]));
        // The Galaxy S24 is not selected: the group has five devices.
        assert_eq!(pool_of(&plan, "a")["numbers"]["devices"], 5);
    }
}

#[test]
fn the_plan_and_explain_say_how_the_share_was_reached() {
    let lab = scenario("priority");
    let out = run(&lab, &["plan", lab.config_arg(), "--format", "json"]);
    let plan = out.json();
    // c is served first, but the shares are cut from the free list in pool-name order.
    assert_eq!(
        starts(&plan)[..3],
        [
            vec!["G-01".to_string(), "G-02".into(), "G-03".into()],
            vec![],
            vec!["G-04".to_string(), "G-05".into()]
        ]
    );
    // Each pool lists only its share; the group's devices are listed once.
    assert_eq!(pool_of(&plan, "a")["devices"].as_array().unwrap().len(), 3);
    assert_eq!(pool_of(&plan, "b")["devices"], serde_json::json!([]));
    let galaxy = &plan["device_groups"][0];
    assert_eq!(galaxy["group"], "galaxy");
    assert_eq!(galaxy["devices"].as_array().unwrap().len(), 5);
    let b = pool_of(&plan, "b");
    assert_eq!(b["bound"], "group_share");
    assert_eq!(b["group"]["share"], 0);
    assert_eq!(b["group"]["want"], 6);

    let text = run(&lab, &["plan", lab.config_arg()]);
    assert!(
        text.stdout.contains(
            "group galaxy (shared by a, b, c): group share = 0 of 5 free (pools want 12 in all; \
             priority): want 6, priority 0, served after every pool with a higher priority"
        ),
        "{}",
        text.stdout
    );
    // The plan carries the same chain of rules `explain` prints.
    let carried = plan["explanations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "device_pool" && e["name"] == "b")
        .expect("pool b explained in the plan")["lines"]
        .clone();
    let explained = run(
        &lab,
        &["explain", "b", lab.config_arg(), "--format", "json"],
    )
    .json();
    assert_eq!(carried, explained["explanation"]);
    assert_eq!(explained["items"].as_array().unwrap().len(), 5);
    assert!(
        text.stdout
            .contains("device group galaxy (priority; pools a, b, c): devices 5, free 5"),
        "{}",
        text.stdout
    );
    let explain = run(&lab, &["explain", "b", lab.config_arg()]);
    explain.expect_code(0);
    for step in [
        "clipped by group share: wanted 6, starting 0",
        "wanted = min(demand 6, max_starts_per_run 10) = 6",
        "group galaxy shared by a, b, c: group share = 0 of 5 free",
        "group galaxy: G-01: start (in pool a's share; a job starts on it)",
        "group galaxy: G-05: start (in pool c's share; a job starts on it)",
    ] {
        assert!(
            explain.stdout.contains(step),
            "{step:?}:\n{}",
            explain.stdout
        );
    }
}

#[test]
fn fail_first_is_refused_where_it_is_written_with_what_to_use_instead() {
    let lab = scenario("fail-first");
    let out = run(&lab, &["validate", lab.config_arg()]);
    out.expect_code(1);
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let line = 1 + yaml
        .lines()
        .position(|l| l.contains("allocation: fail-first"))
        .unwrap();
    for said in [
        format!(
            "devicepool.yaml:{line}:17: device_groups.galaxy.allocation: allocation `fail-first` was removed"
        ),
        "starving the healthy ones. Use `round-robin` (the default".to_string(),
    ] {
        assert!(out.stderr.contains(&said), "{said}\n{}", out.stderr);
    }
    // Refused before any request.
    assert!(lab.requests().is_empty());
}

#[test]
fn a_device_two_pools_select_is_used_by_neither_and_shown_as_contested() {
    let lab = scenario("round-robin");
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    // Pixel's UDID pattern and a name pattern that also takes PX-01's model.
    let yaml = yaml.replace(
        "galaxy:\n    select: {name: 'Galaxy A55*'}",
        "galaxy:\n    select: {name: '*'}",
    );
    std::fs::write(&lab.config, yaml).unwrap();
    let out = run(&lab, &["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let numbers = &pool_of(&plan, "d")["numbers"];
    assert_eq!(numbers["contested"], 3, "{numbers:#}");
    assert_eq!(numbers["free"], 0, "{numbers:#}");
    let all: Vec<String> = starts(&plan).concat();
    assert!(all.iter().all(|u| !u.starts_with("PX-")), "{all:?}");
    let text = run(&lab, &["plan", lab.config_arg()]);
    assert!(
        text.stdout
            .contains("contested: PX-01: also claimed by group galaxy: used by none"),
        "{}",
        text.stdout
    );
}

#[test]
fn validate_refuses_a_pool_without_devices_an_unknown_group_and_a_pattern_that_takes_a_listed_device()
 {
    let lab = scenario("priority");
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let yaml = yaml
        .replace(
            "    group: pixel\n    priority: 1\n",
            "    group: pixcel\n    priority: 1\n",
        )
        .replace("    group: pixel\n    priority: 0\n", "    priority: 0\n")
        .replace(
            "  galaxy:\n    select: {name: 'Galaxy A55*'}",
            "  galaxy:\n    devices: [PX-02]",
        );
    std::fs::write(&lab.config, yaml).unwrap();
    let out = run(&lab, &["validate", lab.config_arg()]);
    out.expect_code(1);
    for problem in [
        "no devices: list them in `devices`, pick them with `select`, or join a `group`",
        "no device group named \"pixcel\" (device_groups: galaxy, pixel)",
        "group pixel is used by no device pool",
        "device PX-02 of group galaxy also matches group pixel's select.udid \"PX-*\"",
    ] {
        assert!(out.stderr.contains(problem), "{problem:?}:\n{}", out.stderr);
    }
    assert!(out.stderr.contains("devicepool.yaml:"), "{}", out.stderr);
    assert!(lab.requests().is_empty(), "validate sends no request");
}

#[test]
fn a_partition_cannot_split_a_group_between_runs() {
    let lab = scenario("round-robin");
    let out = run(
        &lab,
        &["plan", lab.config_arg(), "--pool", "a", "--pool", "d*"],
    );
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("keep a of device group galaxy but leave out b, c: a group's pools share"),
        "{}",
        out.stderr
    );
    assert!(lab.requests().is_empty(), "refused before any request");
    // Leaving a whole group out is a fine partition.
    let out = run(
        &lab,
        &[
            "plan",
            lab.config_arg(),
            "--exclude-pool",
            "d",
            "--exclude-pool",
            "e",
            "--format",
            "json",
        ],
    );
    out.expect_code(0);
    let plan = out.json();
    let starts = |name| pool_of(&plan, name)["starts"].as_array().unwrap().len();
    assert_eq!([starts("a"), starts("b"), starts("c")], [2, 2, 1]);
    let names: Vec<&str> = plan["device_pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pool"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b", "c"]);
}

#[test]
fn a_device_a_left_out_pool_also_claims_stays_contested_in_a_partitioned_run() {
    let lab = scenario("round-robin");
    let mut yaml = std::fs::read_to_string(&lab.config).unwrap();
    for (name, claim) in [
        ("f", "select: {name: 'Galaxy S24'}"),
        ("g", "devices: [GS-01]"),
    ] {
        lab.fleet.taskcluster.set_counts(&queue_of(name), 1, 0);
        yaml.push_str(&format!(
            "  {name}:\n    task_queue: {queue}\n    client_id: project/autophone/{name}\n    \
             access_token_env: {env}\n    {claim}\n",
            queue = queue_of(name),
            env = token_env(name),
        ));
    }
    std::fs::write(&lab.config, yaml).unwrap();
    // Run only g: f is left out of the run, but its selector still claims GS-01.
    let out = lab
        .command(&["plan", lab.config_arg(), "--pool", "g", "--format", "json"])
        .env(&token_env("g"), token_of("g"))
        .run();
    out.expect_code(0);
    let plan = out.json();
    let g = pool_of(&plan, "g");
    assert_eq!(g["starts"], serde_json::json!([]), "{g:#}");
    assert_eq!(g["devices"][0]["state"], "contested", "{g:#}");
    assert_eq!(
        g["devices"][0]["detail"],
        "also claimed by pool f: used by none until one claim is dropped"
    );
}
