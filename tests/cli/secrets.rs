//! No secret value in stdout, stderr (at trace level), the saved plan, or any file left on
//! disk — across plan, render, apply (including a failed launch) and a held pool.

use devicepool::sim::{Fault, SIM_ACCESS_KEY};

use crate::support::{Lab, files_under, pool, token_of};

#[test]
fn no_secret_reaches_output_plan_files_or_disk() {
    let lab = Lab::new(vec![pool("a55", 3, 3), pool("p9", 3, 3)]);
    lab.fleet
        .lambdatest
        .server()
        .inject("POST", "/__sim/launch", Fault::status(500).times(1));
    let secrets = [SIM_ACCESS_KEY.to_string(), token_of("a55"), token_of("p9")];
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
        let out = lab
            .command(args)
            .env("DEVICEPOOL_LOG", "trace")
            .output()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    lab.fleet.taskcluster.server().inject(
        "GET",
        "/api/queue",
        Fault::status(401).with_body(&format!("bad token {}", token_of("p9"))),
    );
    let out = lab
        .command(&["-vvv", "plan", lab.config_arg()])
        .env("DEVICEPOOL_LOG", "trace")
        .output()
        .unwrap();
    seen.push_str(&String::from_utf8_lossy(&out.stdout));
    seen.push_str(&String::from_utf8_lossy(&out.stderr));

    assert!(
        seen.contains("TRACE") || seen.contains("\"level\":\"TRACE\""),
        "trace logging was on"
    );
    assert!(seen.contains("<redacted>"), "redacted markers are visible");
    for file in files_under(lab.dir.path()) {
        if file == lab.config || file == lab.cli {
            continue;
        }
        seen.push_str(&String::from_utf8_lossy(&std::fs::read(&file).unwrap()));
    }
    for secret in &secrets {
        assert!(!seen.contains(secret.as_str()), "secret {secret:?} leaked");
    }
}

/// The whole product at once: the demo drives all three reconcilers (device pools, racks,
/// runner pools) through plan → apply → plan. At trace level, in text and JSON, no secret
/// it was given or was handed by an API may appear.
#[test]
fn the_demo_at_trace_level_prints_no_secret_of_any_reconciler() {
    use devicepool::sim::gitlab::SIM_ADMIN_TOKEN;
    use devicepool::sim::maas::SIM_MAAS_API_KEY;
    let mut seen = String::new();
    for format in ["text", "json"] {
        let out = assert_cmd::cargo::cargo_bin_cmd!("devicepool")
            .env("DEVICEPOOL_LOG", "trace")
            .args(["-vvv", "--log-format", "json", "demo", "--format", format])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    assert!(seen.contains("\"level\":\"TRACE\""), "trace logging was on");
    assert!(seen.contains("runner(s) to start") || seen.contains("runner_pools"));
    let token_secret = SIM_MAAS_API_KEY.rsplit(':').next().unwrap();
    for secret in [
        SIM_ACCESS_KEY,
        SIM_MAAS_API_KEY,
        token_secret,
        SIM_ADMIN_TOKEN,
        "sim-token-tc_token",
        "glrt-",
    ] {
        assert!(!seen.contains(secret), "{secret:?} leaked");
    }
}
