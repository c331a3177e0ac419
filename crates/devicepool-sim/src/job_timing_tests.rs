use jiff::Timestamp;

use super::JobTiming;
use crate::Fleet;

const QUEUE: &str = "proj-autophone/gecko-t-a55";

/// A fleet with its clock fixed and one device `R1` in `status`, on which a job was just
/// launched the way the fake CLI does.
fn fleet_with_launch_on(status: &str) -> Fleet {
    let fleet = Fleet::start().unwrap();
    let clock = "2026-09-01T12:00:00Z".parse::<Timestamp>().unwrap();
    fleet.lambdatest.set_clock(clock);
    fleet.lambdatest.add_device("R1", "Galaxy A55 5G", status);
    let mut state = crate::lambdatest::lock(fleet.lambdatest.state());
    let job =
        crate::lambdatest::insert_job(&mut state, None, Some("R1".into()), "initiated", clock);
    state.launches.push(job.id);
    drop(state);
    fleet
}

#[test]
fn a_job_runs_after_30s_and_claims_its_task_after_180s() {
    let fleet = fleet_with_launch_on("active");
    fleet.taskcluster.add_worker(QUEUE, "R1", None);
    fleet.taskcluster.set_counts(QUEUE, 2, 0);

    fleet.step_jobs(29, JobTiming::OBSERVED);
    assert_eq!(fleet.lambdatest.jobs()[0].status, "initiated");
    fleet.step_jobs(9, JobTiming::OBSERVED);
    assert_eq!(fleet.lambdatest.jobs()[0].status, "running");
    assert_eq!(
        fleet.taskcluster.counts(QUEUE),
        (2, 0),
        "running, not yet claimed"
    );

    fleet.step_jobs(142, JobTiming::OBSERVED);
    assert_eq!(
        fleet.taskcluster.counts(QUEUE),
        (1, 1),
        "claimed once, 180 s after launch"
    );
    fleet.step_jobs(600, JobTiming::OBSERVED);
    assert_eq!(
        fleet.taskcluster.counts(QUEUE),
        (1, 1),
        "a job claims one task"
    );
}

#[test]
fn a_job_whose_device_is_busy_stays_initiated() {
    let fleet = fleet_with_launch_on("busy");
    fleet.step_jobs(600, JobTiming::OBSERVED);
    assert_eq!(fleet.lambdatest.jobs()[0].status, "initiated");
}
