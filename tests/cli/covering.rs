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
    assert_eq!(launched(&lab), 0, "60 jobs for 30 tasks");

    // At 188 s every task is claimed; 10 more arrive. The claimed count matches our running
    // jobs, so none of them covers a pending task any more.
    lab.fleet.step_jobs(150, JobTiming::OBSERVED);
    assert_eq!(lab.fleet.taskcluster.counts(&queue_of("a55")), (0, 30));
    lab.fleet.taskcluster.set_counts(&queue_of("a55"), 10, 30);
    assert_eq!(launched(&lab), 10);
    assert_eq!(lab.fleet.lambdatest.launches().len(), 40);
}
