//! The org's initiated jobs, through the binary: every one counts against `max_initiated`,
//! however old (LambdaTest counts them), read with the jobs listing's `status` filter.

use jiff::{SignedDuration, Timestamp};

use crate::support::{Lab, devicepool, pool, pool_of};

#[test]
fn initiated_jobs_older_than_the_job_window_still_count_against_max_initiated() {
    let mut lab = Lab::new(vec![pool("a55", 5, 5)]);
    lab.set_lambdatest_extra("    max_initiated: 4\n    job_window: 1h\n    page_size: 2\n");
    let now = Timestamp::now();
    // Another team's jobs, waiting for devices since long before the window, and one of
    // today's: three initiated in the org, so one start is left of four.
    for hours in [30, 6] {
        let labels = Some(vec!["other".to_string(), "team".into()]);
        lab.fleet
            .lambdatest
            .add_job(labels, "initiated", now - SignedDuration::from_hours(hours));
    }
    for _ in 0..3 {
        let at = now - SignedDuration::from_hours(5);
        lab.fleet.lambdatest.add_job(None, "completed", at);
    }
    let recent = now - SignedDuration::from_mins(10);
    lab.fleet.lambdatest.add_job(None, "initiated", recent);

    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let a55 = pool_of(&plan, "a55");
    assert_eq!(a55["numbers"]["org_initiated"], 3, "{a55:#}");
    assert_eq!(a55["starts"].as_array().unwrap().len(), 1, "{a55:#}");
    assert_eq!(a55["bound"], "max_initiated");

    // The count is a status-filtered read: pages of initiated jobs only, until the list ends
    // (two of two and one, then an empty page: a short page is not taken as the end).
    let filtered: Vec<String> = (lab.requests().iter())
        .filter(|r| r.path == "/v1.0/jobs" && r.query.contains("status=initiated"))
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(filtered.len(), 3, "{filtered:#?}");
}

#[test]
fn the_count_stops_once_max_initiated_is_reached() {
    let mut lab = Lab::new(vec![pool("a55", 5, 5)]);
    lab.set_lambdatest_extra("    max_initiated: 2\n    page_size: 2\n    max_pages: 3\n");
    let old = Timestamp::now() - SignedDuration::from_hours(48);
    // Ten initiated jobs would take five pages, more than max_pages: two are enough to know
    // there is no room.
    for _ in 0..10 {
        lab.fleet.lambdatest.add_job(None, "initiated", old);
    }
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    let plan = out.json();
    let a55 = pool_of(&plan, "a55");
    assert_eq!(a55["starts"], serde_json::json!([]), "{a55:#}");
    assert_eq!(a55["bound"], "max_initiated");
    let filtered = (lab.requests().iter())
        .filter(|r| r.query.contains("status=initiated"))
        .count();
    assert_eq!(filtered, 1);
    // explain says the count is a floor, not the org's number.
    let explain = lab.run(&["explain", "a55", lab.config_arg()]);
    let room = "org-wide room = max_initiated 2 − initiated in the org at least 2 = 0";
    assert!(explain.stdout.contains(room), "{}", explain.stdout);
}

#[test]
fn a_replay_with_a_higher_max_initiated_than_the_count_reached_is_held_not_guessed() {
    let mut lab = Lab::new(vec![pool("a55", 5, 5)]);
    lab.set_lambdatest_extra("    max_initiated: 2\n    page_size: 2\n");
    let old = Timestamp::now() - SignedDuration::from_hours(48);
    for _ in 0..6 {
        lab.fleet.lambdatest.add_job(None, "initiated", old);
    }
    lab.run(&["plan", lab.config_arg(), "--record", "snap.json"])
        .expect_code(0);
    let replay = |max_initiated: u32| {
        let yaml = lab.config_yaml().replace(
            "    max_initiated: 2\n",
            &format!("    max_initiated: {max_initiated}\n"),
        );
        std::fs::write(lab.path("replay.yaml"), yaml).unwrap();
        devicepool(&["plan", "replay.yaml", "--from-snapshot", "snap.json"])
            .args(&["--format", "json"])
            .current_dir(lab.dir.path())
            .run()
    };
    // Counted up to 2 of 6: under a ceiling of 40 the room is unknown.
    let held = replay(40);
    held.expect_code(4);
    let a55 = pool_of(&held.json(), "a55").clone();
    let reason = a55["reason"].as_str().unwrap().to_string();
    assert!(
        reason.contains(
            "counted only up to max_initiated 2, and sources.lambdatest.max_initiated is now 40"
        ),
        "{reason}"
    );
    // Under a ceiling of 1 there is no room whatever the rest: planned, nothing started.
    let planned = replay(1);
    planned.expect_code(0);
    let a55 = pool_of(&planned.json(), "a55").clone();
    assert_eq!(a55["bound"], "max_initiated", "{a55:#}");
}

#[test]
fn a_count_past_max_pages_holds_every_pool_naming_the_filtered_read() {
    // Ten initiated jobs from before the one-hour window, two a page, three pages at most,
    // max_initiated 40: the history read stops at its first page (all past the window), the
    // count would need five pages.
    let mut lab = Lab::new(vec![pool("a55", 5, 5), pool("p9", 5, 5)]);
    let extra = "    max_initiated: 40\n    job_window: 1h\n    page_size: 2\n    max_pages: 3\n";
    lab.set_lambdatest_extra(extra);
    let old = Timestamp::now() - SignedDuration::from_hours(48);
    for _ in 0..10 {
        lab.fleet.lambdatest.add_job(None, "initiated", old);
    }
    let out = lab.run(&["apply", lab.config_arg()]);
    out.expect_code(4);
    let held: Vec<&str> = (out.stdout.lines())
        .filter(|l| l.trim_start().starts_with("held"))
        .collect();
    assert_eq!(held.len(), 2, "{}", out.stdout);
    for line in held {
        assert!(
            line.contains(
                "/v1.0/jobs?status=initiated: more than 3 pages of jobs with status initiated \
                 (raise sources.lambdatest.max_pages)"
            ),
            "{line}"
        );
    }
    assert!(lab.fleet.lambdatest.launches().is_empty());
}
