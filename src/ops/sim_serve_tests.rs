//! Unit tests of `ops/sim_serve.rs`.

use super::*;
use std::os::unix::fs::PermissionsExt as _;

#[test]
fn the_info_file_names_every_fake_and_is_private() {
    let fleet = Fleet::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fleet.json");
    let credentials = seed::credentials(&fleet, None);
    write_info(
        &path,
        &info(&fleet, Path::new("/x/hyperexecute"), credentials),
    )
    .unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let read: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let sources = &read["sources"];
    assert_eq!(sources["taskcluster"]["root_url"], fleet.taskcluster.url());
    assert_eq!(sources["maas"]["url"], fleet.maas.url());
    assert_eq!(sources["docker"]["host"], fleet.docker.host());
    assert_eq!(sources["lambdatest"]["cli"], "/x/hyperexecute");
    let names: Vec<&String> = read["env"].as_object().unwrap().keys().collect();
    assert_eq!(
        names,
        [
            "GITLAB_TOKEN",
            "LT_ACCESS_KEY",
            "LT_USERNAME",
            "MAAS_API_KEY"
        ]
    );
    assert_eq!(read["env"]["MAAS_API_KEY"], fleet.maas.api_key());
}
