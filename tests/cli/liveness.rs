//! Capacity stuck in an intermediate state (issue 12), through the binary: a HyperExecute job
//! of ours still `initiated` long after it was made holds no device and covers no task, and the
//! plan says so (a younger one still does both); a Testflinger agent silent past
//! `agent_stale_after` is not deployed.

use jiff::{SignedDuration, Timestamp};

use crate::racks::RackLab;
use crate::support::{Lab, pool, pool_of, udid};

/// The jobs of ours a lab starts with: `(device index, minutes ago)`, all `initiated`.
pub(crate) fn lab_with_initiated_jobs(stuck_after: &str, jobs: &[(usize, i64)]) -> Lab {
    let mut lab = Lab::new(vec![pool("a55", 3, 3)]);
    lab.set_lambdatest_extra(&format!("    stuck_after: {stuck_after}\n"));
    let now = Timestamp::now();
    for (device, minutes) in jobs {
        let labels = vec!["tcdp".to_string(), "a55".to_string(), udid("a55", *device)];
        let created = now - SignedDuration::from_mins(*minutes);
        lab.fleet
            .lambdatest
            .add_job(Some(labels), "initiated", created);
    }
    lab
}

pub(crate) fn started(plan: &serde_json::Value) -> Vec<String> {
    let starts = pool_of(plan, "a55")["starts"].as_array().unwrap().clone();
    starts
        .iter()
        .map(|s| s["udid"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_job_initiated_past_stuck_after_no_longer_holds_its_device_or_covers_a_task() {
    // Device 1's job has waited 90 minutes, device 2's 10 minutes; three tasks are pending.
    let lab = lab_with_initiated_jobs("1h", &[(1, 90), (2, 10)]);
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let numbers = &pool_of(&plan, "a55")["numbers"];
    assert_eq!(numbers["stuck"], 1, "{numbers:#}");
    assert_eq!(
        numbers["in_flight"], 1,
        "only device 2 is held: {numbers:#}"
    );
    // Only the young job covers a pending task: 3 pending − 1 waiting = 2 to start, on the
    // two devices not held (device 3, idle, then device 1, whose job is stuck: a use all the
    // same, least recently used first).
    assert_eq!(numbers["waiting"], 1, "{numbers:#}");
    assert_eq!(started(&plan), [udid("a55", 3), udid("a55", 1)]);
    let device = &pool_of(&plan, "a55")["devices"][0];
    let detail = device["detail"].as_str().unwrap();
    assert!(detail.contains("stuck in initiated"), "{device:#}");

    let text = lab.run(&["plan", lab.config_arg()]);
    assert!(
        text.stdout
            .contains("stuck: 1 job(s) of ours still initiated past stuck_after"),
        "{}",
        text.stdout
    );
}

#[test]
fn below_stuck_after_an_initiated_job_still_holds_its_device() {
    let lab = lab_with_initiated_jobs("2h", &[(1, 90)]);
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let numbers = &pool_of(&plan, "a55")["numbers"];
    assert_eq!(numbers["stuck"], 0, "{numbers:#}");
    assert_eq!(numbers["in_flight"], 1, "{numbers:#}");
    assert_eq!(started(&plan), [udid("a55", 2), udid("a55", 3)]);
}

/// A Testflinger agent posts `updated_at` with every record it sends; with `agent_stale_after`
/// set, one silent for longer is not deployed (it may be dead while its record says
/// `waiting`), and the plan says so. Unset, nothing changes.
#[test]
fn a_silent_agent_is_not_deployed_when_agent_stale_after_is_set() {
    let lab = RackLab::new();
    // Every agent but three stopped 25 hours ago (an idle agent that runs posts once a day,
    // testflinger#789, so only a stopped one stays silent that long); three post again now.
    for i in 4..=40 {
        lab.fleet.testflinger.stop_agent(&format!("host-{i:02}"));
    }
    lab.fleet.testflinger.advance_clock(24 * 3600);
    for i in 1..=3 {
        lab.fleet
            .testflinger
            .set_agent_state(&format!("host-{i:02}"), "waiting");
    }
    let yaml = lab
        .yaml(40)
        .replace("every: 6h", "every: 6h\n    agent_stale_after: 1d");
    std::fs::write(&lab.config, yaml).unwrap();
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let machines = plan["racks"][0]["machines"].as_array().unwrap();
    let state_of = |host: &str| {
        let machine = machines.iter().find(|m| m["hostname"] == host).unwrap();
        (
            machine["state"].as_str().unwrap().to_string(),
            machine["detail"].as_str().unwrap().to_string(),
        )
    };
    let deploys: Vec<&str> = plan["racks"][0]["deploys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["agent"].as_str().unwrap())
        .collect();
    assert_eq!(deploys, ["host-01", "host-02", "host-03"], "{plan:#}");
    let (state, detail) = state_of("host-04");
    assert_eq!(state, "stale");
    assert!(detail.contains("agent_stale_after"), "{detail}");

    // Without the setting, the same fleet deploys every due machine, silent or not.
    std::fs::write(&lab.config, lab.yaml(40)).unwrap();
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    let deploys = out.json()["racks"][0]["deploys"].as_array().unwrap().len();
    assert!(deploys > 3, "{}", out.stdout);
}

/// Idle agents post once a day (testflinger#789): an `agent_stale_after` under a day or under
/// `every` makes healthy idle machines `stale` when due, so `validate` warns where it is
/// written, with the reason, and the file stays valid.
#[test]
fn validate_warns_when_agent_stale_after_is_under_a_day_or_under_every() {
    let lab = RackLab::new();
    let under_day = "it is under a day, and an idle agent posts only on a state change";
    let under_every = "it is under `every`";
    for (every, after, reasons) in [
        ("6h", "4h", vec![under_day, under_every]),
        ("2d", "1d", vec![under_every]),
        ("6h", "1d", vec![]),
        ("2d", "2d", vec![]),
    ] {
        let yaml = lab.yaml(40).replace(
            "every: 6h",
            &format!("every: {every}\n    agent_stale_after: {after}"),
        );
        std::fs::write(&lab.config, &yaml).unwrap();
        let out = lab.run(&["validate", lab.config_arg()]);
        out.expect_code(0);
        assert!(out.stdout.contains("valid"), "{}", out.stdout);
        let case = format!("every {every}, agent_stale_after {after}");
        if reasons.is_empty() {
            assert!(!out.stderr.contains("warning"), "{case}: {}", out.stderr);
            continue;
        }
        let line = 1 + yaml
            .lines()
            .position(|l| l.contains("agent_stale_after"))
            .unwrap();
        let at = format!("racks.yaml:{line}:");
        for want in [
            "warning",
            at.as_str(),
            "racks.rack-a.agent_stale_after",
            "stale` exactly when they are due",
        ] {
            assert!(
                out.stderr.contains(want),
                "{case}: want {want}: {}",
                out.stderr
            );
        }
        assert_eq!(
            out.stderr.contains(under_day),
            reasons.contains(&under_day),
            "{case}: {}",
            out.stderr
        );
        assert_eq!(
            out.stderr.contains(under_every),
            reasons.contains(&under_every),
            "{case}: {}",
            out.stderr
        );
    }
}

/// A device whose last three jobs of ours failed is rested for `failure_cooldown` after the
/// latest; one failure among successes, or an older streak, does not rest it.
#[test]
fn a_device_whose_last_jobs_failed_is_rested_for_the_cooldown() {
    let lab = lab_with_initiated_jobs("1h", &[]);
    let now = Timestamp::now();
    let lt = &lab.fleet.lambdatest;
    let ours = |device: usize| {
        Some(vec![
            "tcdp".to_string(),
            "a55".to_string(),
            udid("a55", device),
        ])
    };
    // Device 1: three failures, the latest 20 minutes ago: rested.
    for (status, minutes) in [("failed", 80), ("lambda_error", 50), ("failed", 20)] {
        lt.add_job(ours(1), status, now - SignedDuration::from_mins(minutes));
    }
    // Device 2: two failures after a success: not a streak of three.
    for (status, minutes) in [("completed", 80), ("failed", 50), ("failed", 20)] {
        lt.add_job(ours(2), status, now - SignedDuration::from_mins(minutes));
    }
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let pool = pool_of(&plan, "a55");
    assert_eq!(pool["numbers"]["cooling_down"], 1, "{pool:#}");
    assert_eq!(pool["devices"][0]["state"], "cooling_down", "{pool:#}");
    let detail = pool["devices"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("last 3 jobs of ours failed"), "{detail}");
    // Device 3 has no job of ours, so it goes first (least recently used).
    assert_eq!(started(&plan), [udid("a55", 3), udid("a55", 2)]);

    // With a 10-minute cool-down, the streak's latest failure (20 minutes ago) is past it.
    let yaml = std::fs::read_to_string(&lab.config).unwrap().replace(
        "max_starts_per_run:",
        "failure_cooldown: 10m\n    max_starts_per_run:",
    );
    std::fs::write(&lab.config, yaml).unwrap();
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    let plan = out.json();
    assert_eq!(
        pool_of(&plan, "a55")["numbers"]["cooling_down"],
        0,
        "{}",
        out.stdout
    );
}

/// `explain` prints the chain behind one pool's decision: here one job of ours is stuck on
/// device 1, one waits on device 2, three tasks are pending.
#[test]
fn explain_prints_the_numbers_and_rules_behind_one_pools_decision() {
    let lab = lab_with_initiated_jobs("1h", &[(1, 90), (2, 10)]);
    let out = lab.run(&["explain", "a55", lab.config_arg()]);
    out.expect_code(0);
    for step in [
        "pool a55 (planned, read at",
        "devices 3: active 3 (quarantined 0, in flight 1, cooling down 0, stale worker 0), contested 0, free 2",
        "demand = pending 3 − our jobs covering 1 = 2 (1 stuck job(s) of ours not counted)",
        "wanted = min(demand 2, free 2, max_starts_per_run 10) = 2",
        "starts 2, bound by demand",
        "A55-02: in_flight (job",
    ] {
        assert!(
            out.stdout.contains(step),
            "{step:?} missing:\n{}",
            out.stdout
        );
    }
    let json = lab.run(&["explain", "a55", lab.config_arg(), "--format", "json"]);
    assert_eq!(json.json()["kind"], "device_pool");

    let unknown = lab.run(&["explain", "nope", lab.config_arg()]);
    unknown.expect_code(1);
    assert!(
        unknown.stderr.contains("the names are: a55"),
        "{}",
        unknown.stderr
    );
}

/// Four devices, each with one ended job of ours (minutes ago) and its worker's lastDateActive:
/// 1: job 120, active 180 (silent through the job); 2: job 120, active 140 (within
/// lastDateActive's 30-minute write lag of the job); 3: job 10, never active (too young to
/// judge); 4: job 200, active 300 (silent, but rested long enough: tried again).
fn lab_with_worker_activity(worker_stale_after: Option<&str>) -> Lab {
    let lab = Lab::new(vec![pool("a55", 4, 4)]);
    let now = Timestamp::now();
    let queue = crate::support::queue_of("a55");
    for (device, job_minutes, active_minutes) in [
        (1, 120, Some(180)),
        (2, 120, Some(140)),
        (3, 10, None),
        (4, 200, Some(300)),
    ] {
        let udid = udid("a55", device);
        let labels = vec!["tcdp".to_string(), "a55".to_string(), udid.clone()];
        let created = now - SignedDuration::from_mins(job_minutes);
        lab.fleet
            .lambdatest
            .add_job(Some(labels), "completed", created);
        lab.fleet.taskcluster.add_worker(&queue, &udid, None);
        if let Some(minutes) = active_minutes {
            let at = now - SignedDuration::from_mins(minutes);
            lab.fleet.taskcluster.set_last_active(&queue, &udid, at);
        }
    }
    if let Some(after) = worker_stale_after {
        let yaml = lab.config_yaml().replace(
            "  taskcluster:\n",
            &format!("  taskcluster:\n    worker_stale_after: {after}\n"),
        );
        std::fs::write(&lab.config, yaml).unwrap();
    }
    lab
}

#[test]
fn a_device_whose_worker_stayed_silent_through_our_last_job_is_not_used() {
    let lab = lab_with_worker_activity(Some("90m"));
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let a55 = pool_of(&plan, "a55");
    assert_eq!(a55["numbers"]["stale_workers"], 1, "{a55:#}");
    assert_eq!(a55["devices"][0]["state"], "stale_worker", "{a55:#}");
    let detail = a55["devices"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("not since job"), "{detail}");
    assert!(detail.contains("rested until"), "{detail}");
    // Least recently used first: device 4's job is the oldest.
    assert_eq!(
        started(&plan),
        [udid("a55", 4), udid("a55", 2), udid("a55", 3)]
    );
    // Every worker is listed, not only the quarantined ones, to read lastDateActive.
    let lists: Vec<_> = lab
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/workers"))
        .collect();
    assert!(!lists.is_empty());
    assert!(
        lists.iter().all(|r| !r.query.contains("quarantined")),
        "{lists:?}"
    );
    let text = lab.run(&["plan", lab.config_arg()]);
    assert!(
        text.stdout
            .contains("stale worker: A55-01: its worker is last active"),
        "{}",
        text.stdout
    );
}

#[test]
fn without_worker_stale_after_worker_activity_is_not_read_or_judged() {
    let lab = lab_with_worker_activity(None);
    let plan = lab
        .run(&["plan", lab.config_arg(), "--format", "json"])
        .json();
    assert_eq!(started(&plan).len(), 4);
    let lists: Vec<_> = lab
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/workers"))
        .collect();
    assert!(
        lists.iter().all(|r| r.query.contains("quarantined=true")),
        "{lists:?}"
    );
}
