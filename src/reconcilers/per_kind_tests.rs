use super::PerKind;

#[test]
fn concat_keeps_every_kind_in_plan_order() {
    let each = PerKind {
        device_pools: vec!["pool a", "pool b"],
        racks: vec![],
        runner_pools: vec!["runner pool c"],
    };
    assert_eq!(each.concat(), ["pool a", "pool b", "runner pool c"]);
}
