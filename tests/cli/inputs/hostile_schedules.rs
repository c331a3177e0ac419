//! Schedules a hostile or careless file can hold (issue 17): more periods than a pool may have
//! (1,000 took 1.65 s and 808 MB to validate, 4,000 exhausted memory), and values a period sets
//! that the pool itself could not set. Each is refused at file:line:col before any request.

use super::{expect_refused, lab_and_config, line_of};

/// `count` periods for the last pool of the lab's config (p9), each at its own minute.
fn periods(count: usize) -> String {
    let mut schedule = String::from("    schedule:\n");
    for i in 0..count {
        schedule.push_str(&format!(
            "      - cron: '{} {} * * *'\n        set: {{max_starts_per_run: 1}}\n",
            i % 60,
            i / 60 % 24
        ));
    }
    schedule
}

#[test]
fn a_pool_may_hold_100_periods_and_the_101st_is_refused_where_it_starts() {
    let (lab, yaml) = lab_and_config();
    std::fs::write(&lab.config, yaml.clone() + &periods(100)).unwrap();
    lab.run(&["validate", lab.config_arg()]).expect_code(0);
    let long = yaml + &periods(101);
    // The 101st period's cron line: every period is two lines after `schedule:`.
    let line = line_of(&long, "    schedule:") + 1 + 2 * 100;
    assert!(
        long.lines()
            .nth(line - 1)
            .unwrap()
            .contains("- cron: '40 1 * * *'")
    );
    let message =
        "device_pools.p9.schedule[100]: a schedule holds at most 100 periods; this one has 101";
    expect_refused(&lab, &long, &format!("{line}:9"), message);
}

/// The lab's config with a runner pool `autogit` (and its source) whose schedule is `schedule`.
fn with_runner_pool(yaml: &str, schedule: &str) -> String {
    yaml.replace(
        "device_pools:\n",
        &format!(
            "  gitlab: {{url: http://127.0.0.1:9, token_env: GL_TOKEN}}\nrunner_pools:\n  \
             autogit:\n    tags: [autogit]\n    projects: [group/app]\n    max_runners: 4\n\
             {schedule}device_pools:\n"
        ),
    )
}

#[test]
fn a_value_a_period_sets_gets_the_checks_the_pools_own_key_gets() {
    let (lab, yaml) = lab_and_config();
    let fine = "    schedule:\n      - cron: '* 8-17 * * 1-5'\n        set: {idle_cooldown: 2h, min_idle: 4}\n";
    std::fs::write(&lab.config, with_runner_pool(&yaml, fine)).unwrap();
    lab.run(&["validate", lab.config_arg()]).expect_code(0);
    for (set, needle, message) in [
        (
            "{idle_cooldown: 99999999h}",
            "99999999h",
            "runner_pools.autogit.schedule[0].set.idle_cooldown: must be at most 30 days",
        ),
        (
            "{min_idle: 3, max_runners: 2}",
            "3, max_runners",
            "runner_pools.autogit.schedule[0].set.min_idle: min_idle must not exceed max_runners",
        ),
        (
            "{min_idle: 5}",
            "5}",
            "runner_pools.autogit.schedule[0].set.min_idle: min_idle must not exceed max_runners",
        ),
    ] {
        let schedule =
            format!("    schedule:\n      - cron: '* 8-17 * * 1-5'\n        set: {set}\n");
        let bad = with_runner_pool(&yaml, &schedule);
        let line = line_of(&bad, needle);
        let column = bad.lines().nth(line - 1).unwrap().find(needle).unwrap() + 1;
        expect_refused(&lab, &bad, &format!("{line}:{column}"), message);
    }
    // At the pool's own level the same value is refused as before.
    let own = with_runner_pool(&yaml, "    idle_cooldown: 99999999h\n");
    let line = line_of(&own, "99999999h");
    expect_refused(
        &lab,
        &own,
        &format!("{line}:20"),
        "runner_pools.autogit.idle_cooldown: must be at most 30 days",
    );
}
