//! `plan --format markdown` and `show PLAN.json`: the plan as a Markdown job summary (a table
//! per kind, held reasons, redacted like the text plan), and a saved plan printed again as
//! text, JSON or Markdown without a request, read like `apply --plan` reads it.

use devicepool_sim::Fault;

use crate::racks::RackLab;
use crate::runners::RunnerLab;
use crate::support::{Lab, devicepool, pool, text_filters, wall_clock};

#[test]
fn a_plan_as_markdown_has_a_table_per_kind_and_the_held_reasons() {
    let lab = Lab::new(vec![pool("a55", 3, 2), pool("p9", 2, 5)]);
    let queue = "/api/queue/v1/task-queues/proj-autophone/gecko-t-p9";
    lab.fleet
        .taskcluster
        .server()
        .inject("GET", queue, Fault::status(500));
    let out = lab.run(&["plan", lab.config_arg(), "--format", "markdown"]);
    out.expect_code(4);
    let _filters = wall_clock(text_filters()).bind_to_scope();
    insta::assert_snapshot!("device_pools", out.stdout);
    let racks = RackLab::new();
    let out = racks.run(&["plan", racks.config_arg(), "--format", "markdown"]);
    out.expect_code(0);
    insta::assert_snapshot!("racks", out.stdout);
    let runners = RunnerLab::new("");
    for _ in 0..2 {
        runners
            .fleet
            .gitlab
            .add_pending_job("group/app", &["autogit"]);
    }
    let out = runners.run(&["plan", "--format", "markdown"]);
    out.expect_code(0);
    insta::assert_snapshot!("runner_pools", out.stdout);
}

#[test]
fn show_prints_a_saved_plan_as_plan_printed_it_without_a_request() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    let plan = |format: &str| {
        let out = lab.run(&[
            "plan",
            lab.config_arg(),
            "--out",
            "plan.json",
            "--format",
            format,
        ]);
        out.expect_code(0);
        out.stdout
    };
    for format in ["text", "json", "markdown"] {
        let printed = plan(format);
        let before = lab.requests().len();
        // No credential, no desired state: only the file.
        let saved = lab.path("plan.json");
        let out = devicepool(&["show", saved.to_str().unwrap(), "--format", format])
            .env_remove("DEVICEPOOL_CONFIG")
            .run();
        out.expect_code(0);
        assert_eq!(out.stdout, printed, "{format}");
        assert_eq!(lab.requests().len(), before, "show sent a request");
    }
    // Text is the default.
    let saved = lab.path("plan.json");
    let out = devicepool(&["show", saved.to_str().unwrap()]).run();
    assert!(out.stdout.starts_with("Plan for "), "{}", out.stdout);
}

#[test]
fn show_refuses_what_apply_plan_refuses() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    std::fs::write(lab.path("not-a-plan.json"), "{\"hello\": 1}").unwrap();
    std::fs::write(lab.path("old.json"), "{\"format\": 1}").unwrap();
    for (file, expected) in [
        ("not-a-plan.json", "not a devicepool plan"),
        (
            "old.json",
            "plan format 1 is not supported (this devicepool reads format 2)",
        ),
        ("/dev/zero", "not a regular file"),
        ("missing.json", "cannot read the saved plan missing.json"),
    ] {
        let out = lab.run(&["show", file]);
        out.expect_code(1);
        assert!(out.stderr.contains(expected), "{file}: {}", out.stderr);
    }
}
