//! The runs most likely to leak, at trace level: plan, render and apply (including a failed
//! launch and an API echoing a token) and the demo of all three reconcilers. The secret guard
//! scans their output and the files left on disk; these tests make sure there was something
//! to scan — trace logs, and `<redacted>` where a secret would otherwise be.

use devicepool_sim::Fault;

use crate::support::{Lab, devicepool, pool, token_of};

#[test]
fn plan_render_and_apply_at_trace_level_show_redacted_markers_only() {
    let lab = Lab::new(vec![pool("a55", 3, 3), pool("p9", 3, 3)]);
    lab.fleet
        .lambdatest
        .server()
        .inject("POST", "/__sim/launch", Fault::status(500).times(1));
    let mut seen = String::new();
    let runs: [&[&str]; 5] = [
        &["-vvv", "plan", lab.config_arg(), "--out", "plan.json"],
        &[
            "-vvv",
            "--log-format",
            "json",
            "plan",
            lab.config_arg(),
            "--format",
            "json",
        ],
        &["-vvv", "render", lab.config_arg()],
        &[
            "-vvv",
            "apply",
            lab.config_arg(),
            "--plan",
            "plan.json",
            "--format",
            "json",
        ],
        &["-vvv", "apply", lab.config_arg()],
    ];
    for args in runs {
        let out = lab.command(args).env("DEVICEPOOL_LOG", "trace").run();
        seen.push_str(&out.stdout);
        seen.push_str(&out.stderr);
    }
    // Taskcluster echoes the token in a 401 body.
    lab.fleet.taskcluster.server().inject(
        "GET",
        "/api/queue",
        Fault::status(401).with_body(&format!("bad token {}", token_of("p9"))),
    );
    let out = lab
        .command(&["-vvv", "plan", lab.config_arg()])
        .env("DEVICEPOOL_LOG", "trace")
        .run();
    seen.push_str(&out.stdout);
    seen.push_str(&out.stderr);

    assert!(
        seen.contains("TRACE") || seen.contains("\"level\":\"TRACE\""),
        "trace logging was on"
    );
    assert!(seen.contains("<redacted>"), "redacted markers are visible");
    assert!(
        lab.path("plan.json").exists(),
        "the saved plan is scanned too"
    );
}

/// The whole product at once: the demo drives all three reconcilers (device pools, racks,
/// runner pools) through plan → apply → plan, with every secret it hands out or is handed by
/// an API (Taskcluster `sim-token-…`, MAAS, GitLab, `glrt-` runner tokens) on the guard's list.
#[test]
fn the_demo_at_trace_level_prints_no_secret_of_any_reconciler() {
    let mut seen = String::new();
    for format in ["text", "json"] {
        let out = devicepool(&["-vvv", "--log-format", "json", "demo", "--format", format])
            .env("DEVICEPOOL_LOG", "trace")
            .run();
        out.expect_code(0);
        seen.push_str(&out.stdout);
        seen.push_str(&out.stderr);
    }
    assert!(seen.contains("\"level\":\"TRACE\""), "trace logging was on");
    assert!(seen.contains("runner(s) to start") || seen.contains("runner_pools"));
}
