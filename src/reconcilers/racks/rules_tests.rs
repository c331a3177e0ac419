//! Unit tests of `reconcilers/racks/rules.rs`.

use crate::reconcilers::racks::eligibility::is_unusable;

/// Every `status_name` MAAS has (its `NODE_STATUS` table), and whether a deploy may go.
const EVERY_STATUS: [(&str, bool); 23] = [
    ("New", true),
    ("Commissioning", false),
    ("Failed commissioning", false),
    ("Missing", false),
    ("Ready", true),
    ("Reserved", true),
    ("Deployed", true),
    ("Retired", false),
    ("Broken", false),
    ("Deploying", false),
    ("Allocated", true),
    ("Failed deployment", true),
    ("Releasing", false),
    ("Releasing failed", false),
    ("Disk erasing", false),
    ("Failed disk erasing", false),
    ("Rescue mode", false),
    ("Entering rescue mode", false),
    ("Failed to enter rescue mode", false),
    ("Exiting rescue mode", false),
    ("Failed to exit rescue mode", false),
    ("Testing", false),
    ("Failed testing", false),
];

#[test]
fn every_maas_status_is_classed_and_transitions_and_failures_are_unusable() {
    for (name, usable) in EVERY_STATUS {
        assert!(
            devicepool_sim::maas::status_code(name).is_some(),
            "{name:?} is not a MAAS status_name"
        );
        assert_eq!(!is_unusable(name), usable, "{name}");
    }
}

/// A rack of the defaults (`every: 6h`).
fn rack() -> crate::reconcilers::racks::config::Rack {
    serde_json::from_value(serde_json::json!({"maas_tags": ["r"]})).unwrap()
}

fn job(id: &str, state: &str, created_at: &str) -> crate::snapshot::TestflingerJob {
    crate::snapshot::TestflingerJob {
        job_id: id.into(),
        job_state: state.into(),
        created_at: Some(created_at.parse().unwrap()),
    }
}

#[test]
fn a_cancelled_deploy_never_sets_the_cadence() {
    use super::decide_cadence;
    use crate::reconcilers::racks::model::MachineState;
    use crate::snapshot::AgentHistory;
    let now: jiff::Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
    let history = |jobs| AgentHistory {
        jobs,
        ..AgentHistory::default()
    };
    let cancelled = job("c", "cancelled", "2026-11-27T09:50:00Z");
    let (state, detail, _) = decide_cadence(&history(vec![cancelled.clone()]), &[], &rack(), now);
    assert_eq!(
        (state, detail.as_str()),
        (MachineState::Deploy, "never deployed by devicepool")
    );
    // The newest deploy not cancelled sets it.
    let done = job("d", "complete", "2026-11-27T08:00:00Z");
    let (state, detail, _) = decide_cadence(&history(vec![done, cancelled]), &[], &rack(), now);
    assert_eq!(
        (state, detail.as_str()),
        (MachineState::NotDue, "due at 2026-11-27T14:00:00Z")
    );
}
