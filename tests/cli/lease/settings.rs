//! Bad `settings.lock` values are refused at file:line:col by `validate`, before any
//! request.

use crate::support::{LabDir, devicepool};

fn validate(lock: &str) -> String {
    let dir = LabDir::new(&["lock.yaml"]);
    let path = dir.path().join("lock.yaml");
    std::fs::write(
        &path,
        format!(
            "version: 1\nsettings:\n  lock:\n{lock}sources:\n  testflinger:\n    url: http://127.0.0.1:9\n"
        ),
    )
    .unwrap();
    let out = devicepool(&["validate", path.to_str().unwrap()]).run();
    out.expect_code(1);
    out.stderr
}

#[test]
fn bad_lock_settings_are_refused_at_their_key() {
    let cases = [
        (
            "    etcd:\n      endpoints: [ftp://etcd:2379]\n",
            "lock.yaml:5:19",
            "settings.lock.etcd.endpoints[0]",
        ),
        (
            "    etcd:\n      endpoints: [http://etcd:2379]\n      ttl: 1s\n",
            "lock.yaml:6:12",
            "between 3s and 1h",
        ),
        (
            "    etcd:\n      endpoints: [http://etcd:2379]\n      ttl: 4500ms\n",
            "lock.yaml:6:12",
            "whole seconds",
        ),
        (
            "    kubernetes:\n      name: devicepool\n      ttl: 3.5s\n",
            "lock.yaml:6:12",
            "whole seconds",
        ),
        (
            "    etcd:\n      endpoints: [http://etcd:2379]\n      prefix: devicepool/\n",
            "lock.yaml:6:15",
            "must start with `/`",
        ),
        (
            "    etcd:\n      endpoints: [http://etcd:2379]\n      cert_file: c.pem\n",
            "lock.yaml:5:7",
            "cert_file and key_file go together",
        ),
        (
            "    etcd:\n      endpoints: [http://etcd:2379]\n      username_env: ETCD_USER\n",
            "lock.yaml:5:7",
            "go together",
        ),
        (
            "    kubernetes:\n      name: devicepool\n      namespace: Lab_1\n",
            "lock.yaml:6:18",
            "namespace name",
        ),
        // The written engine's own problem, at its key.
        (
            "    kubernetes: {namespace: lab}\n",
            "lock.yaml:4:17",
            "\"name\" is a required property",
        ),
        // Neither engine: the schema says where.
        ("    zookeeper: {}\n", "lock.yaml:4:5", "settings.lock"),
    ];
    for (lock, at, says) in cases {
        let stderr = validate(lock);
        assert!(
            stderr.contains(at) && stderr.contains(says),
            "{lock}: expected {at} and {says:?} in:\n{stderr}"
        );
    }
}
