//! Templates that would exhaust memory or time: rendering happens in a worker with a memory
//! limit and a deadline, so such a template holds only its own pool, with the reason, and
//! the run goes on (`plan` and `render` alike).

use crate::support::{Lab, Outcome, devicepool, peak_rss_bytes, pool, pool_of};

/// What a hostile template does with `d`, a value of 10^8 integers built by aliasing one
/// list of 10^5: each turns all of it into one string.
const SERIALISED: &[&str] = &[
    "d|pprint",
    "d|tojson",
    "d|string",
    "d|join",
    "d|sort|join",
    "d ~ ''",
];

/// A template that builds `d` and prints the length of `expression`.
fn aliased_and_serialised(expression: &str) -> String {
    let ten = |name: &str| [name; 10].join(",");
    format!(
        "{{% set a = range(100000)|list %}}{{% set b = [{}] %}}{{% set c = [{}] %}}{{% set d = [{}] %}}{{{{ ({expression})|length }}}}\n",
        ten("a"),
        ten("b"),
        ten("c"),
    )
}

/// Pool a55 renders `template`; p9 renders the built-in template.
fn lab_with_template(template: &str) -> Lab {
    let lab = Lab::new(vec![pool("a55", 2, 2), pool("p9", 2, 2)]);
    lab.use_template("a55", "hostile.yaml.j2", template);
    lab
}

/// The reason says the render was stopped (by the memory limit or the deadline).
fn assert_stopped(reason: &str, out: &Outcome) {
    let by_memory = reason.ends_with("needed more than 128 MiB of memory and was stopped");
    let by_deadline = reason.ends_with("took more than 2 s and was stopped");
    // A machine so loaded that the worker got under 2 s of processor time in 10 s.
    let by_wall_cap = reason.contains("took more than 10 s of wall-clock time");
    assert!(
        by_memory || by_deadline || by_wall_cap,
        "{reason}\nstderr:\n{}",
        out.stderr
    );
}

/// The most memory a run with a hostile template may use, over devicepool and its worker.
const MAX_PEAK_RSS: u64 = 200 * 1000 * 1000;

/// A guard against a hang only (the render deadline stops each in seconds; a loaded CI
/// machine is slower): the figures are printed.
const MAX_WALL: std::time::Duration = std::time::Duration::from_secs(20);

#[test]
fn serialising_an_aliased_giant_value_holds_only_its_pool_in_plan() {
    for filter in SERIALISED {
        let lab = lab_with_template(&aliased_and_serialised(filter));
        let report = lab.dir.path().join("peak-rss");
        let plan = lab.command(&["plan", lab.config_arg(), "--format", "json"]);
        let started = std::time::Instant::now();
        let (out, measured) = match plan.measured(&report) {
            Some(plan) => (plan.run(), true),
            None => (
                lab.run(&["plan", lab.config_arg(), "--format", "json"]),
                false,
            ),
        };
        let wall = started.elapsed();
        println!("{filter}: {:.2} s wall", wall.as_secs_f64());
        if measured {
            let peak = peak_rss_bytes(&report);
            let peak_mb = peak as f64 / 1e6;
            println!("{filter}: peak RSS {peak_mb:.1} MB (devicepool and its worker)");
            assert!(peak < MAX_PEAK_RSS, "{filter}: {peak_mb:.1} MB");
        }
        assert!(wall < MAX_WALL, "{filter}: {wall:?}");
        out.expect_code(4);
        let plan = out.json();
        let a55 = pool_of(&plan, "a55");
        assert_eq!(a55["status"]["state"], "held", "{filter}");
        let reason = a55["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("cannot render job file: template hostile.yaml.j2: "),
            "{reason}"
        );
        assert_stopped(a55["reason"].as_str().unwrap(), &out);
        assert!(a55["starts"].as_array().unwrap().is_empty(), "{filter}");
        let p9 = pool_of(&plan, "p9");
        assert_eq!(p9["status"]["state"], "planned", "{filter}");
        assert_eq!(p9["starts"].as_array().unwrap().len(), 2, "{filter}");
    }
}

#[test]
fn serialising_an_aliased_giant_value_fails_render_without_aborting() {
    for expression in SERIALISED {
        let lab = lab_with_template(&aliased_and_serialised(expression));
        let out = lab.run(&["render", lab.config_arg(), "--pool", "a55"]);
        out.expect_code(1);
        let error = out.stderr.lines().next().unwrap_or_default();
        assert!(
            error.starts_with(
                "devicepool: error: pool a55: cannot render job file: template hostile.yaml.j2: "
            ),
            "{expression}: {}",
            out.stderr
        );
        assert_stopped(error, &out);
        let other = lab.run(&["render", lab.config_arg(), "--pool", "p9"]);
        other.expect_code(0);
        assert!(
            other.stdout.starts_with("# ---- pool p9, device "),
            "{}",
            other.stdout
        );
    }
}

/// The worker `plan`, `apply` and `render` start for templates really runs under the address
/// space and processor time limits (and makes no core file when it is stopped).
#[test]
fn the_render_worker_runs_under_its_memory_limit() {
    let mut worker = devicepool(&["__render-worker"]).spawn_with_stdin();
    let path = format!("/proc/{}/limits", worker.id());
    let limit = |name: &str| {
        let limits = std::fs::read_to_string(&path).unwrap_or_default();
        let line = limits.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().rev().nth(2).map(str::to_string)
    };
    // The worker sets its limits as it starts, before it reads a request.
    let started = std::time::Instant::now();
    while limit("Max address space").as_deref() == Some("unlimited")
        && started.elapsed() < std::time::Duration::from_secs(10)
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let expected = (128 * 1024 * 1024).to_string();
    assert_eq!(limit("Max address space"), Some(expected));
    assert_eq!(limit("Max cpu time").as_deref(), Some("600"));
    assert_eq!(limit("Max core file size").as_deref(), Some("0"));
    worker.close_stdin();
    worker.wait().expect_code(0);
}

/// The render worker is started from the running binary itself (`/proc/self/exe`), so a
/// binary replaced while a run reads the fleet (an upgrade) still renders that run's files.
#[test]
fn a_binary_replaced_mid_run_still_renders() {
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    let old = lab.path("devicepool-old");
    std::fs::copy(crate::support::binary(), &old).unwrap();
    // The reads take 1.5 s; the worker starts after them, at the first render.
    lab.fleet.taskcluster.server().inject(
        "GET",
        "/api/queue/v1/task-queues/proj-autophone/gecko-t-a55",
        devicepool_sim::Fault::delay(1500),
    );
    let running = lab
        .command(&["plan", lab.config_arg(), "--format", "json"])
        .program(&old)
        .spawn();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let upgrade = lab.path("devicepool-new");
    std::fs::write(&upgrade, "#!/bin/sh\nexit 7\n").unwrap();
    std::fs::set_permissions(
        &upgrade,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    std::fs::rename(&upgrade, &old).unwrap();
    let out = running.wait();
    out.expect_code(0);
    let plan = out.json();
    let a55 = pool_of(&plan, "a55");
    assert_eq!(a55["status"]["state"], "planned", "{}", out.stdout);
    assert_eq!(a55["starts"].as_array().unwrap().len(), 2);
}

/// A template file is read like the desired state: a file over 16 MiB is refused at the
/// key that names it, before a byte of it is read and before any request.
#[test]
fn a_template_file_over_16_mib_is_refused_before_any_request() {
    let lab = lab_with_template("{{ udid }}\n");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(lab.path("templates").join("hostile.yaml.j2"))
        .unwrap();
    file.set_len(16 * 1024 * 1024 + 1).unwrap();
    let out = lab.run(&["plan", lab.config_arg()]);
    out.expect_code(1);
    assert!(
        out.stderr
            .contains("it is larger than 16 MiB, the most devicepool reads"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("template"), "{}", out.stderr);
    assert!(lab.requests().is_empty(), "refused before any request");
}
