//! Queue wait (`devicepool_pool_oldest_pending_seconds`) through the binary: racks from their
//! machine longest due, runner pools from their oldest matching pending GitLab job; device
//! pools from
//! Taskcluster's pending list, read only when something is pending; a refused list (403) leaves
//! the series out with one warning and never holds the pool.

use jiff::{SignedDuration, Timestamp};

use crate::metrics::{of_pool, read};
use crate::racks::RackLab;
use crate::runners::RunnerLab;
use crate::support::{Lab, pool, queue_of};

const WAIT: &str = "devicepool_pool_oldest_pending_seconds";

/// Requests the Taskcluster fake got for the pending list of `pool`'s queue.
fn pending_list_reads(lab: &Lab, pool: &str) -> Vec<String> {
    let path = format!(
        "/api/queue/v1/task-queues/{}/pending",
        queue_of(pool).replace('/', "%2F")
    );
    let requests = lab.fleet.taskcluster.server().requests();
    (requests.into_iter())
        .filter(|r| r.path == path)
        .map(|r| r.query)
        .collect()
}

#[test]
fn a_device_pool_reports_how_long_its_oldest_pending_task_has_waited() {
    let lab = Lab::new(vec![pool("a55", 3, 1), pool("p9", 2, 0)]);
    let inserted = Timestamp::now() - SignedDuration::from_mins(90);
    lab.fleet
        .taskcluster
        .add_pending_task(&queue_of("a55"), inserted);
    let before = Timestamp::now();
    lab.run(&["plan", lab.config_arg(), "--metrics-file", "metrics.prom"])
        .expect_code(0);
    let after = Timestamp::now();
    let m = read(&lab);
    let waited = of_pool(&m, WAIT, "a55").expect("a55 has a queue wait");
    let least = before.duration_since(inserted).as_secs() as f64;
    let most = after.duration_since(inserted).as_secs() as f64;
    assert!(
        (least..=most).contains(&waited),
        "{waited} not in {least}..={most}"
    );
    assert_eq!(of_pool(&m, "devicepool_pool_pending", "a55"), Some(2.0));
    // One page of one task for a55; nothing pending in p9, so no read and no series.
    assert_eq!(pending_list_reads(&lab, "a55"), ["limit=1"]);
    assert!(pending_list_reads(&lab, "p9").is_empty());
    assert_eq!(of_pool(&m, WAIT, "p9"), None);
}

#[test]
fn a_refused_pending_list_leaves_the_wait_out_with_one_warning_and_holds_nothing() {
    let lab = Lab::new(vec![pool("a55", 3, 2), pool("p9", 2, 1)]);
    lab.fleet.taskcluster.set_deny_pending_list(true);
    let out = lab.run(&["plan", lab.config_arg(), "--metrics-file", "metrics.prom"]);
    out.expect_code(0);
    let m = read(&lab);
    for name in ["a55", "p9"] {
        assert_eq!(of_pool(&m, WAIT, name), None, "{name}");
        assert_eq!(of_pool(&m, "devicepool_pool_held", name), Some(0.0));
        assert_eq!(pending_list_reads(&lab, name).len(), 1, "{name}");
    }
    assert_eq!(
        of_pool(&m, "devicepool_pool_actions_planned", "a55"),
        Some(2.0)
    );
    let warnings = out.stderr.matches("403 to listPendingTasks").count();
    assert_eq!(warnings, 1, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("queue:pending-list:proj-autophone/gecko-t-a55"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_runner_pool_reports_how_long_its_oldest_matching_pending_job_has_waited() {
    let lab = RunnerLab::new("");
    let gitlab = &lab.fleet.gitlab;
    // An untagged job is not the pool's: it waits longest but does not count.
    gitlab.add_pending_job("group/app", &[]);
    gitlab.advance_clock(120);
    gitlab.add_pending_job("group/app", &["autogit"]);
    gitlab.advance_clock(600);
    gitlab.add_pending_job("group/app", &["autogit", "docker"]);
    gitlab.advance_clock(30);
    lab.run(&["plan", "--metrics-file", "metrics.prom"])
        .expect_code(0);
    let m = lab.metrics();
    let set = "{partition=\"all\",kind=\"runner_pool\",pool=\"autogit\"}";
    assert_eq!(m.get(&format!("devicepool_pool_pending{set}")), Some(&2.0));
    assert_eq!(m.get(&format!("{WAIT}{set}")), Some(&630.0));
}

#[test]
fn a_runner_pool_with_nothing_pending_has_no_queue_wait() {
    let lab = RunnerLab::new("");
    lab.fleet.gitlab.add_pending_job("group/app", &["other"]);
    lab.run(&["plan", "--metrics-file", "metrics.prom"])
        .expect_code(0);
    let m = lab.metrics();
    let set = "{partition=\"all\",kind=\"runner_pool\",pool=\"autogit\"}";
    assert_eq!(m.get(&format!("devicepool_pool_pending{set}")), Some(&0.0));
    assert_eq!(m.get(&format!("{WAIT}{set}")), None);
}

#[test]
fn a_rack_reports_how_long_its_machine_longest_due_has_been_due() {
    // host-10 was deployed an hour ago (every: 6h); the 32 machines never deployed are due
    // with no moment they fell due, so they are left out.
    let lab = RackLab::new();
    let set = "{partition=\"all\",kind=\"rack\",pool=\"rack-a\"}";
    lab.run(&["plan", lab.config_arg(), "--metrics-file", "metrics.prom"])
        .expect_code(0);
    let m = lab.metrics();
    assert_eq!(m.get(&format!("devicepool_pool_pending{set}")), Some(&32.0));
    assert_eq!(m.get(&format!("{WAIT}{set}")), None);
    // Six more hours: host-10 fell due an hour ago.
    lab.fleet.testflinger.advance_clock(6 * 3600);
    lab.run(&["plan", lab.config_arg(), "--metrics-file", "metrics.prom"])
        .expect_code(0);
    let m = lab.metrics();
    assert_eq!(m.get(&format!("devicepool_pool_pending{set}")), Some(&33.0));
    assert_eq!(m.get(&format!("{WAIT}{set}")), Some(&3600.0));
}
