//! A device group's pools as the plan, `explain`, the apply report and the metrics file show
//! them, through the binary: devices about to be started say so in the group's list, the
//! status line's "wanted" is the want `explain` computes, `weighted` says what a pool got, an
//! apply with nothing to do says why, and per-pool gauges give each pool its own part.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use crate::support::{Lab, Outcome, grouped_pool, pool_of, queue_of, run_with_tokens};

/// Pools a (2 pending) and b (10 pending, max_starts_per_run 4, min_devices 3) share group g:
/// six phones; a job of a waits on G-01 and one of b on G-02 (`initiated`, the phones still
/// idle), so four are free and the demands are 1 and 9.
pub(crate) fn shared(allocation: &str, max_initiated: u32) -> Lab {
    let lab = Lab::new(Vec::new());
    let lt = &lab.fleet.lambdatest;
    for i in 1..=6 {
        lt.add_device(&format!("G-{i:02}"), "Galaxy A55 5G", "active");
    }
    let launched = Timestamp::now() - SignedDuration::from_mins(2);
    for (pool, udid) in [("a", "G-01"), ("b", "G-02")] {
        let labels = ["tcdp", pool, udid].map(String::from).to_vec();
        lt.add_job(Some(labels), "initiated", launched);
    }
    let mut yaml = lab.config_yaml().replace(
        "    max_initiated: 100\n",
        &format!("    max_initiated: {max_initiated}\n"),
    );
    yaml = yaml.replace(
        "device_pools:\n",
        &format!(
            "device_groups:\n  g:\n    devices: [G-01, G-02, G-03, G-04, G-05, G-06]\n    \
             allocation: {allocation}\ndevice_pools:\n"
        ),
    );
    for (name, pending, cap, minimum) in [("a", 2, 10, 0), ("b", 10, 4, 3)] {
        let settings = [
            ("max_starts_per_run", cap.to_string()),
            ("min_devices", minimum.to_string()),
        ];
        yaml.push_str(&grouped_pool(&lab, (name, "g", pending), &settings));
    }
    std::fs::write(&lab.config, yaml).unwrap();
    lab
}

pub(crate) fn run(lab: &Lab, args: &[&str]) -> Outcome {
    run_with_tokens(lab, ["a", "b"], args)
}

#[test]
fn devices_about_to_be_started_show_as_starting_in_the_group_list() {
    let lab = shared("round-robin", 100);
    let plan = run(&lab, &["plan", lab.config_arg(), "--format", "json"]).json();
    // Round-robin over 4 free: a wants 1, b 4 → 1 and 3; a takes G-03, b the rest.
    let group = &plan["device_groups"][0]["devices"];
    let states: Vec<(&str, &str)> = (group.as_array().unwrap().iter())
        .map(|d| (d["udid"].as_str().unwrap(), d["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [
            ("G-01", "in_flight"),
            ("G-02", "in_flight"),
            ("G-03", "start"),
            ("G-04", "start"),
            ("G-05", "start"),
            ("G-06", "start"),
        ]
    );
    let explain = run(&lab, &["explain", "a", lab.config_arg()]);
    explain.expect_code(0);
    assert!(
        explain
            .stdout
            .contains("group g: G-03: start (in pool a's share; a job starts on it)"),
        "{}",
        explain.stdout
    );
    assert!(!explain.stdout.contains(": spare"), "{}", explain.stdout);
}

#[test]
fn the_status_line_wants_what_explain_computes() {
    let lab = shared("round-robin", 100);
    let plan = run(&lab, &["plan", lab.config_arg(), "--format", "json"]).json();
    // b: demand 9, but max_starts_per_run 4: it wants 4, and the group gives it 3.
    let b = pool_of(&plan, "b");
    assert_eq!(
        b["reason"], "clipped by group share: demand 9, wanted 4, starting 3",
        "{b:#}"
    );
    let explain = run(&lab, &["explain", "b", lab.config_arg()]);
    assert!(
        explain
            .stdout
            .contains("wanted = min(demand 9, max_starts_per_run 4) = 4"),
        "{}",
        explain.stdout
    );
}

#[test]
fn weighted_says_what_the_pool_got_and_why() {
    // 4 free; a's minimum 0, b's 3: b gets 3, then the one left goes by weight 1:1 to a
    // (the tie to the first).
    let lab = shared("weighted", 100);
    let text = run(&lab, &["plan", lab.config_arg()]).stdout;
    assert!(
        text.contains(
            "want 4, got min_devices 3 first, then 0 more by weight 1 of the 1 left after every \
             pool's minimum"
        ),
        "{text}"
    );
    assert!(!text.contains("guaranteed first"), "{text}");
}

#[test]
fn an_apply_clipped_everywhere_by_max_initiated_says_why_nothing_was_carried_out() {
    // Our two jobs are initiated and max_initiated is 2: no room in the org.
    let lab = shared("round-robin", 2);
    let out = run(&lab, &["apply", lab.config_arg()]);
    out.expect_code(0);
    for line in [
        "Apply: nothing carried out, because:\n",
        "  pool a: clipped by max_initiated: wanted 1, starting 0\n",
        "  pool b: clipped by max_initiated: demand 9, wanted 4, starting 0\n",
    ] {
        assert!(out.stdout.contains(line), "{line:?}\n{}", out.stdout);
    }
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

#[test]
fn each_grouped_pool_reports_its_own_share_and_jobs_in_its_gauges() {
    let lab = shared("round-robin", 100);
    run(
        &lab,
        &["plan", lab.config_arg(), "--metrics-file", "metrics.prom"],
    )
    .expect_code(0);
    let text = std::fs::read_to_string(lab.path("metrics.prom")).unwrap();
    let gauge = |name: &str, pool: &str| -> f64 {
        let series = format!("{name}{{partition=\"all\",kind=\"device_pool\",pool=\"{pool}\"}} ");
        let line = text.lines().find(|l| l.starts_with(&series));
        line.unwrap_or_else(|| panic!("{series}\n{text}"))[series.len()..]
            .parse()
            .unwrap()
    };
    let mut got = BTreeMap::new();
    for pool in ["a", "b"] {
        let free = gauge("devicepool_pool_free", pool);
        let in_flight = gauge("devicepool_pool_in_flight", pool);
        got.insert(pool, (free, in_flight));
    }
    // 4 free shared 1 and 3; one job of each in flight. Summed: the group's 4 and 2.
    assert_eq!(got["a"], (1.0, 1.0), "{text}");
    assert_eq!(got["b"], (3.0, 1.0), "{text}");
}

#[test]
fn an_applied_saved_plan_shows_as_started_only_the_devices_it_starts_on() {
    // Saved while b had 2 pending (demand 1): a starts on G-03, b on G-04. By the apply b has
    // 10 pending and the fresh plan would start on G-05 and G-06 too, but the saved plan
    // selects only its own two starts.
    let lab = shared("round-robin", 100);
    lab.fleet.taskcluster.set_counts(&queue_of("b"), 2, 0);
    run(&lab, &["plan", lab.config_arg(), "--out", "plan.json"]).expect_code(0);
    lab.fleet.taskcluster.set_counts(&queue_of("b"), 10, 0);
    let mut apply: Vec<&str> = "apply --plan plan.json --format json".split(' ').collect();
    apply.insert(1, lab.config_arg());
    let out = run(&lab, &apply);
    out.expect_code(0);
    assert_eq!(lab.launched_devices(), ["G-03", "G-04"]);
    let plan = &out.json()["plan"];
    // The free devices' states, in the group's list and in b's share.
    let free = |devices: &serde_json::Value| -> Vec<(String, String)> {
        (devices.as_array().unwrap().iter())
            .map(|d| (d["udid"].as_str().unwrap(), d["state"].as_str().unwrap()))
            .filter(|(_, state)| ["start", "spare"].contains(state))
            .map(|(udid, state)| (udid.to_string(), state.to_string()))
            .collect()
    };
    let expected: Vec<(String, String)> = [
        ("G-03", "start"),
        ("G-04", "start"),
        ("G-05", "spare"),
        ("G-06", "spare"),
    ]
    .map(|(udid, state)| (udid.to_string(), state.to_string()))
    .to_vec();
    assert_eq!(free(&plan["device_groups"][0]["devices"]), expected);
    let b = pool_of(plan, "b");
    assert_eq!(free(&b["devices"]), expected[1..], "b's own share: {b:#}");
}
