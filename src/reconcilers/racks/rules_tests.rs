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
