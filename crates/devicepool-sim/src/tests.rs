//! Unit tests of `lib.rs`.

use super::*;
use std::os::unix::fs::PermissionsExt as _;

#[test]
fn runner_containers_make_their_runners_contact_gitlab_once_asked_to() {
    let fleet = Fleet::start().expect("start");
    fleet.docker.add_image("runner:1");
    fleet.gitlab.add_runner("r", &["x"], false);
    let token = fleet.gitlab.runners()[0].token.clone();
    let socket = fleet.docker.socket_path();
    let start = |name: &str| {
        let spec = format!(r#"{{"Image": "runner:1", "Env": ["RUNNER_TOKEN={token}"]}}"#);
        let create = format!("/containers/create?name={name}");
        let created = crate::probe::fetch_unix(&socket, "POST", &create, Some(&spec));
        assert_eq!(created.0, 201, "{}", created.2);
        let start = format!("/containers/{name}/start");
        assert_eq!(
            crate::probe::fetch_unix(&socket, "POST", &start, None).0,
            204
        );
    };
    start("before");
    assert_eq!(fleet.gitlab.runners()[0].contacted_at, None);
    fleet.run_runner_containers();
    start("after");
    assert_eq!(
        fleet.gitlab.runners()[0].contacted_at,
        Some(fleet.gitlab.now())
    );
}

#[test]
fn writes_an_executable_fake_cli_script() {
    let fleet = Fleet::start().expect("start");
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = Path::new("/opt/it's here/devicepool");
    let path = fleet.write_fake_cli(dir.path(), exe).expect("write");
    assert_eq!(path, dir.path().join("hyperexecute"));
    let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
    assert_eq!(mode & 0o777, 0o755);
    let script = std::fs::read_to_string(&path).expect("read");
    let expected = format!(
        "#!/bin/sh\nDEVICEPOOL_SIM_LAMBDATEST_URL='{}' exec '/opt/it'\\''s here/devicepool' __sim-hyperexecute \"$@\"\n",
        fleet.lambdatest.url()
    );
    assert_eq!(script, expected);
    assert_ne!(fleet.taskcluster.url(), fleet.lambdatest.url());
}
