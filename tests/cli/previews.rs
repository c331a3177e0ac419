//! `DEVICEPOOL_NOW` previews another time's schedules and nothing else: `apply` refuses it
//! before any request, and a plan a day ahead still sees the jobs running now (job windows,
//! cool-downs and grace periods are judged at the real time), saying it is a preview, as
//! `explain` and `render` do.

use crate::support::{Lab, Outcome, pool, pool_of};

/// `args` run with `DEVICEPOOL_NOW` a day ahead, expecting `code`.
fn preview(lab: &Lab, args: &[&str], code: i32) -> Outcome {
    let tomorrow = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    let out = lab
        .command(args)
        .env("DEVICEPOOL_NOW", tomorrow.to_string())
        .run();
    out.expect_code(code);
    out
}

#[test]
fn apply_refuses_a_preview_time_before_any_request() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    let out = preview(&lab, &["apply", lab.config_arg(), "--yes"], 1);
    assert!(
        out.stderr.contains("DEVICEPOOL_NOW is set"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("never acts"), "{}", out.stderr);
    assert!(lab.fleet.lambdatest.launches().is_empty());
    assert!(lab.requests().is_empty(), "refused before any request");
}

#[test]
fn a_plan_for_tomorrow_still_sees_the_jobs_running_now() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    lab.run(&["apply", lab.config_arg(), "--yes"])
        .expect_code(0);
    assert_eq!(lab.fleet.lambdatest.launches().len(), 2);
    let json = ["plan", lab.config_arg(), "--format", "json"];
    let today = lab.run(&json);
    today.expect_code(0);
    let today = today.json();
    let ahead = preview(&lab, &json, 0).json();
    assert_eq!(
        pool_of(&ahead, "a55")["starts"],
        pool_of(&today, "a55")["starts"],
        "a preview judges the running jobs at the real time"
    );
    assert!(
        pool_of(&ahead, "a55")["starts"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(today.get("preview_at").is_none(), "{today:#}");
    assert!(ahead["preview_at"].is_string(), "{ahead:#}");
    let said = "Preview: schedules read at ";
    let text = preview(&lab, &["plan", lab.config_arg()], 0).stdout;
    let second = text.lines().nth(1).unwrap_or_default();
    assert!(second.starts_with(said), "{text}");
    let explained = preview(&lab, &["explain", "a55", lab.config_arg()], 0).stdout;
    assert!(explained.contains(said), "{explained}");
    let explain_json = ["explain", "a55", lab.config_arg(), "--format", "json"];
    assert!(preview(&lab, &explain_json, 0).json()["preview_at"].is_string());
    let rendered = preview(&lab, &["render", lab.config_arg()], 0).stdout;
    assert!(rendered.starts_with(&format!("# {said}")), "{rendered}");
}

#[test]
fn a_plan_saved_from_a_preview_is_refused_by_apply() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    preview(
        &lab,
        &["plan", lab.config_arg(), "--out", "preview.json"],
        0,
    );
    let out = lab.run(&["apply", lab.config_arg(), "--plan", "preview.json", "--yes"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("is a preview of the schedules at"),
        "{}",
        out.stderr
    );
    assert!(lab.fleet.lambdatest.launches().is_empty());
}

/// `DEVICEPOOL_SIM_CLOCK` replaces the real time, so it is refused against a source that is
/// not on loopback (the tests' debug build honours it only against a simulated fleet; a
/// release build refuses it outright, see `ops/clock.rs`).
#[test]
fn the_simulated_clock_is_refused_against_a_source_off_loopback() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let (before, after) = yaml.split_once("root_url: ").unwrap();
    let rest = after.split_once('\n').unwrap().1;
    std::fs::write(
        &lab.config,
        format!("{before}root_url: https://tc.example.org\n{rest}"),
    )
    .unwrap();
    let out = lab
        .command(&["apply", lab.config_arg(), "--yes"])
        .env("DEVICEPOOL_SIM_CLOCK", "2025-06-01T12:00:00Z")
        .run();
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("DEVICEPOOL_SIM_CLOCK is set, but https://tc.example.org is not on loopback"),
        "{}",
        out.stderr
    );
    assert!(lab.requests().is_empty(), "refused before any request");
}
