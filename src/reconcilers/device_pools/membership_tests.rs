use std::collections::BTreeMap;

use super::*;
use crate::load::Desired;
use crate::snapshot::Device;

fn desired(yaml: &str) -> Desired {
    let text = format!("version: 1\nsources: {{}}\n{yaml}");
    serde_saphyr::from_str(&text).expect("test desired state parses")
}

fn listed(devices: &[(&str, &str)]) -> BTreeMap<String, Device> {
    devices
        .iter()
        .map(|(udid, name)| {
            let device = Device {
                name: name.to_string(),
                os: "android".into(),
                os_version: "14".into(),
                status: "active".into(),
            };
            (udid.to_string(), device)
        })
        .collect()
}

const POOL: &str = "task_queue: p/q\n    client_id: c\n    access_token_env: T";

#[test]
fn listed_devices_come_first_then_selected_ones_in_udid_order() {
    let desired = desired(&format!(
        "device_pools:\n  a:\n    {POOL}\n    devices: [Z9]\n  b:\n    {POOL}\n    select: {{name: 'Pixel*'}}\n"
    ));
    let fleet = listed(&[("P2", "Pixel 8"), ("P1", "Pixel 7"), ("G1", "Galaxy")]);
    let membership = resolve(&desired, &fleet);
    assert_eq!(membership.devices_of(&Owner::Pool("a".into())), ["Z9"]);
    assert_eq!(
        membership.devices_of(&Owner::Pool("b".into())),
        ["P1", "P2"]
    );
    assert!(membership.contested.is_empty());
}

#[test]
fn a_device_two_owners_claim_is_contested_and_names_the_others() {
    let desired = desired(&format!(
        "device_groups:\n  shared:\n    select: {{name: 'Galaxy*'}}\n\
         device_pools:\n  a:\n    {POOL}\n    devices: [G1]\n  b:\n    {POOL}\n    group: shared\n"
    ));
    let fleet = listed(&[("G1", "Galaxy A55"), ("G2", "Galaxy A35")]);
    let membership = resolve(&desired, &fleet);
    assert_eq!(
        membership.devices_of(&Owner::Group("shared".into())),
        ["G1", "G2"]
    );
    assert_eq!(
        membership.contested["G1"],
        [Owner::Pool("a".into()), Owner::Group("shared".into())]
    );
    assert_eq!(
        membership.rivals("G1", &Owner::Pool("a".into())).as_deref(),
        Some("group shared")
    );
    assert_eq!(
        membership.rivals("G2", &Owner::Group("shared".into())),
        None
    );
}

#[test]
fn a_selected_udid_that_cannot_be_a_label_is_kept_out_with_the_reason() {
    let desired = desired(&format!(
        "device_pools:\n  b:\n    {POOL}\n    select: {{name: 'Pixel*'}}\n"
    ));
    let fleet = listed(&[("P1", "Pixel 7"), ("P2,x", "Pixel 8"), ("P3 y", "Pixel 9")]);
    let membership = resolve(&desired, &fleet);
    assert_eq!(membership.unusable["P2,x"], "holds a comma");
    assert!(membership.unusable.contains_key("P3 y"));
    assert!(!membership.unusable.contains_key("P1"));
}
