//! Jobs of ours cover pending tasks until they claim them (issue 19): with the real fleet's
//! timing (a job runs about 30 s after launch and claims its task about 180 s after), a run
//! 38 s after the first launches nothing more, and launches resume once the tasks are claimed
//! and more are pending.

use devicepool_sim::JobTiming;
use jiff::Timestamp;

use crate::support::{Lab, Outcome, pool, queue_of, tried, udid};

/// 60 active devices (each with its Taskcluster worker), 30 pending tasks, the fakes' clock
/// fixed at a whole second.
fn busy_morning() -> Lab {
    let lab = Lab::new(vec![pool("a55", 60, 30).max_starts(60)]);
    for i in 1..=60 {
        (lab.fleet.taskcluster).add_worker(&queue_of("a55"), &udid("a55", i), None);
    }
    let now = Timestamp::from_second(Timestamp::now().as_second()).unwrap();
    lab.fleet.lambdatest.set_clock(now);
    lab
}

/// Runs the binary at the fakes' time.
fn run_now(lab: &Lab, args: &[&str]) -> Outcome {
    let now = lab.fleet.lambdatest.now().to_string();
    lab.command(args).env("DEVICEPOOL_SIM_CLOCK", now).run()
}

fn launched(lab: &Lab) -> usize {
    let out = run_now(lab, &["apply", lab.config_arg(), "--format", "json"]);
    out.expect_code(0);
    tried(&out.json(), "device_pool").len()
}

#[test]
fn running_jobs_that_have_not_claimed_yet_still_cover_their_tasks() {
    let lab = busy_morning();
    assert_eq!(launched(&lab), 30);

    // 38 s later every job runs, none has claimed: Taskcluster still counts 30 pending.
    lab.fleet.step_jobs(38, JobTiming::OBSERVED);
    assert!(
        lab.fleet
            .lambdatest
            .jobs()
            .iter()
            .all(|j| j.status == "running")
    );
    assert_eq!(lab.fleet.taskcluster.counts(&queue_of("a55")), (30, 0));
    let explain = run_now(&lab, &["explain", "a55", lab.config_arg()]);
    explain.expect_code(0);
    for step in [
        "our jobs covering = waiting 0 + min(running younger than launch_grace 30, running 30 − claimed 0) = 30",
        "demand = pending 30 − our jobs covering 30 = 0",
    ] {
        assert!(
            explain.stdout.contains(step),
            "{step:?} missing:\n{}",
            explain.stdout
        );
    }
    // The metrics file's pending gauge is that demand, and its help says what covers a task.
    let metrics = ["plan", lab.config_arg(), "--metrics-file", "metrics.prom"];
    run_now(&lab, &metrics).expect_code(0);
    let text = std::fs::read_to_string(lab.path("metrics.prom")).unwrap();
    let help = "# HELP devicepool_pool_pending Work waiting for the pool: a device pool's \
                pending tasks not covered by a job of ours (waiting, or running and not yet \
                claimed)";
    assert!(text.contains(help), "{text}");
    let gauge = "devicepool_pool_pending{partition=\"all\",kind=\"device_pool\",pool=\"a55\"} 0\n";
    assert!(text.contains(gauge), "{text}");
    assert_eq!(launched(&lab), 0, "60 jobs for 30 tasks");

    // At 188 s every task is claimed; 10 more arrive. The claimed count matches our running
    // jobs, so none of them covers a pending task any more.
    lab.fleet.step_jobs(150, JobTiming::OBSERVED);
    assert_eq!(lab.fleet.taskcluster.counts(&queue_of("a55")), (0, 30));
    lab.fleet.taskcluster.set_counts(&queue_of("a55"), 10, 30);
    assert_eq!(launched(&lab), 10);
    assert_eq!(lab.fleet.lambdatest.launches().len(), 40);
}

/// The grouped path counts the same way, per pool: each pool's covering jobs are its own and
/// `claimed` its own queue's, and the group's free devices are shared by what is left.
#[test]
fn a_grouped_pools_running_jobs_cover_its_own_tasks_only() {
    // Group g (see group_wording): a has 2 pending and a job waiting on G-01, b 10 pending and
    // a job waiting on G-02. A job of a has run on G-03 for a minute without claiming.
    let lab = crate::group_wording::shared("round-robin", 100);
    let a_job = ["tcdp", "a", "G-03"].map(String::from).to_vec();
    let minute_ago = Timestamp::now() - jiff::SignedDuration::from_mins(1);
    (lab.fleet.lambdatest).add_job(Some(a_job), "running", minute_ago);
    let explain = crate::group_wording::run(&lab, &["explain", "a", lab.config_arg()]);
    explain.expect_code(0);
    for step in [
        "our jobs covering = waiting 1 + min(running younger than launch_grace 1, running 1 − claimed 0) = 2",
        "demand = pending 2 − our jobs covering 2 = 0",
        // b's want (4, its max_starts_per_run) takes all three free devices.
        "want 0, ",
    ] {
        assert!(
            explain.stdout.contains(step),
            "{step:?}:\n{}",
            explain.stdout
        );
    }
    let plan = crate::group_wording::run(&lab, &["plan", lab.config_arg(), "--format", "json"]);
    let plan = plan.json();
    let a = crate::support::pool_of(&plan, "a");
    assert_eq!(a["starts"], serde_json::json!([]), "{a:#}");
    // G-01 holds a's waiting job; G-03, running it, is busy in LambdaTest's list.
    assert_eq!(a["group"]["in_flight"], 1, "{a:#}");
    let b = crate::support::pool_of(&plan, "b");
    assert_eq!(b["numbers"]["covering"], 1, "{b:#}");
    assert_eq!(b["starts"].as_array().unwrap().len(), 3, "{b:#}");
}
