use super::*;
use crate::reconcilers::rollout::RolloutState;

const OLD: &str = "0123456789ab";
const NEW: &str = "ba9876543210";

fn generation(spec: Option<&str>, jobs: u32, failed: u32, in_flight: &[&str]) -> Generation {
    Generation {
        spec: spec.map(str::to_string),
        jobs,
        failed,
        in_flight: in_flight.iter().map(|u| u.to_string()).collect(),
    }
}

#[test]
fn devices_whose_job_in_flight_runs_an_older_spec_are_outdated() {
    let generations = [
        generation(Some(OLD), 12, 1, &["D2", "D1"]),
        generation(Some(NEW), 3, 0, &["D3"]),
    ];
    let plan = report_rollout(NEW, &generations);
    assert_eq!(plan.spec, NEW);
    assert_eq!(plan.outdated, ["D1", "D2"]);
    assert_eq!(plan.replace, 0, "device pools replace nothing");
    assert_eq!(plan.state, RolloutState::Waiting);
    assert_eq!(
        plan.reason,
        format!(
            "spec {OLD}: 12 job(s), 1 failed, 2 in flight; \
             spec {NEW} (current): 3 job(s), 0 failed, 1 in flight"
        )
    );
}

#[test]
fn jobs_without_a_spec_label_are_unknown_never_outdated() {
    let generations = [generation(None, 4, 2, &["D1"])];
    let plan = report_rollout(NEW, &generations);
    assert!(plan.outdated.is_empty());
    assert_eq!(plan.state, RolloutState::Converged);
    assert_eq!(
        plan.reason,
        format!(
            "unknown spec (jobs without a spec label): 4 job(s), 2 failed, 1 in flight; \
             spec {NEW} (current): no job yet"
        )
    );
}

#[test]
fn an_older_generation_with_nothing_in_flight_outdates_no_device() {
    let generations = [
        generation(Some(OLD), 5, 5, &[]),
        generation(Some(NEW), 1, 0, &["D1"]),
    ];
    let plan = report_rollout(NEW, &generations);
    assert!(plan.outdated.is_empty());
    assert_eq!(plan.state, RolloutState::Converged);
    assert!(
        plan.reason
            .starts_with(&format!("spec {OLD}: 5 job(s), 5 failed; "))
    );
}

#[test]
fn a_pool_with_no_job_says_the_current_spec_has_none_yet() {
    assert_eq!(
        describe(NEW, &[]),
        format!("spec {NEW} (current): no job yet")
    );
}
