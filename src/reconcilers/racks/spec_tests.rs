//! Unit tests of `reconcilers/racks/spec.rs`.

use serde_json::json;

use crate::load::Desired;
use crate::render::Templates;
use crate::secret::Redactor;

/// A desired state with rack `r` written as `rack` (over the defaults).
fn desired(rack: serde_json::Value) -> Desired {
    let mut with = json!({"maas_tags": ["r"]});
    with.as_object_mut()
        .unwrap()
        .extend(rack.as_object().unwrap().clone());
    serde_json::from_value(json!({"version": 1, "sources": {}, "racks": {"r": with}})).unwrap()
}

/// The digest rack `r` gets when written as `rack`.
fn spec_of(rack: serde_json::Value) -> String {
    let mut desired = desired(rack);
    let templates = Templates::load(None, &desired, Redactor::default()).unwrap();
    super::stamp_specs(&mut desired, &templates);
    desired.racks["r"].spec.clone().expect("stamped")
}

#[test]
fn one_rack_has_one_digest_that_every_job_setting_changes() {
    let base = spec_of(json!({}));
    assert!(crate::reconcilers::rollout::is_spec_digest(&base), "{base}");
    assert_eq!(spec_of(json!({})), base, "deterministic");
    // Settings that are not in the job (cadence, budgets, policy) leave it alone.
    let same = json!({"every": "1d", "max_deploys_per_run": 3, "rollout": {"max_per_run": 2}});
    assert_eq!(spec_of(same), base);
    for changed in [
        json!({"provision_data": {"distro": "jammy"}}),
        json!({"reserve_data": {"timeout": 120}}),
        json!({"test_data": {"test_cmds": "true"}}),
        json!({"global_timeout": "4h"}),
        json!({"output_timeout": "15m"}),
    ] {
        assert_ne!(spec_of(changed.clone()), base, "{changed}");
    }
}

#[test]
fn a_disabled_rack_is_not_stamped() {
    let mut desired = desired(json!({"disabled": true}));
    let templates = Templates::load(None, &desired, Redactor::default()).unwrap();
    super::stamp_specs(&mut desired, &templates);
    assert_eq!(desired.racks["r"].spec, None);
}
