use super::*;

fn device(name: &str, os: &str, version: &str) -> Device {
    Device {
        name: name.into(),
        os: os.into(),
        os_version: version.into(),
        status: "active".into(),
    }
}

#[test]
fn a_selector_needs_every_field_given_to_match() {
    let select = Selector {
        name: Some("Galaxy A55*".into()),
        os_version: Some("14".into()),
        ..Selector::default()
    };
    assert!(
        select
            .prepare()
            .matches("X1", &device("Galaxy A55 5G", "android", "14"))
    );
    assert!(
        !select
            .prepare()
            .matches("X1", &device("Galaxy A55 5G", "android", "15"))
    );
    assert!(
        !select
            .prepare()
            .matches("X1", &device("Pixel 8", "android", "14"))
    );
    let by_udid = Selector {
        udid: Some("R5*".into()),
        ..Selector::default()
    };
    assert!(
        by_udid
            .prepare()
            .matches("R5CX1", &device("any", "ios", "17"))
    );
    assert_eq!(by_udid.udid_only(), Some("R5*"));
    assert_eq!(select.udid_only(), None);
}
