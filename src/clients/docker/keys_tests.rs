//! Unit tests of `clients/docker/keys.rs`.

use serde_json::json;

use super::*;

#[test]
fn a_key_newer_than_the_version_spoken_is_found_with_its_version() {
    let v = |raw| ApiVersion::parse(raw).unwrap();
    let body = json!({
        "Image": "busybox",
        "HostConfig": {"Annotations": {"a": "b"}, "NanoCpus": 1},
    });
    assert_eq!(
        too_new_key(&body, v("1.41")),
        Some(("HostConfig.Annotations", v("1.43")))
    );
    assert_eq!(too_new_key(&body, v("1.43")), None);
    let mounts = json!({"HostConfig": {"Mounts": [
        {"Type": "bind", "Source": "/a", "Target": "/a"},
        {"Type": "volume", "Source": "v", "Target": "/v", "VolumeOptions": {"Subpath": "x"}},
    ]}});
    assert_eq!(
        too_new_key(&mounts, v("1.44")),
        Some(("HostConfig.Mounts[].VolumeOptions.Subpath", v("1.45")))
    );
    let endpoints = json!({"NetworkingConfig": {"EndpointsConfig": {"lab": {"GwPriority": 1}}}});
    assert_eq!(
        too_new_key(&endpoints, v("1.47")),
        Some(("NetworkingConfig.EndpointsConfig.*.GwPriority", v("1.48")))
    );
    assert_eq!(too_new_key(&endpoints, v("1.52")), None);
    let default_template = json!({
        "Image": "gitlab/gitlab-runner:alpine", "Cmd": ["sh"], "Env": {"A": "b"},
        "Labels": {"devicepool.managed": "true"},
        "HostConfig": {"NanoCpus": 1, "Memory": 2, "NetworkMode": "bridge", "CapDrop": ["ALL"],
            "CapAdd": ["CHOWN"], "SecurityOpt": ["no-new-privileges:true"], "Binds": ["/a:/b"]},
    });
    assert_eq!(
        too_new_key(&default_template, v("1.41")),
        None,
        "the default template suits 1.41"
    );
    assert_eq!(
        too_new_key(&json!({"HostConfig": {"Annotations": null}}), v("1.41")),
        None,
        "null is not sent"
    );
    let why = refusal("HostConfig.Annotations", v("1.43"), v("1.41"));
    assert!(
        why.contains("HostConfig.Annotations") && why.contains("1.43") && why.contains("1.41"),
        "{why}"
    );
}
