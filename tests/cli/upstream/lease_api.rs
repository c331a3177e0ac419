//! The fake Kubernetes API server's Lease routes against the upstream Lease and Status
//! schemas (`tests/upstream/kubernetes/`).

use devicepool_sim::{KubernetesSim, SIM_KUBERNETES_TOKEN};
use serde_json::json;

use super::{call, check};

#[test]
fn every_lease_route_answers_as_the_api_server_does() {
    let k8s = KubernetesSim::start().unwrap();
    let leases = format!(
        "{}/apis/coordination.k8s.io/v1/namespaces/lab/leases",
        k8s.url()
    );
    let one = format!("{leases}/devicepool");
    let auth = format!("Bearer {SIM_KUBERNETES_TOKEN}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let body = json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "devicepool", "annotations": {"a": "b"}},
        "spec": {"holderIdentity": "h", "leaseDurationSeconds": 30,
                 "acquireTime": "2026-12-06T10:00:00.000000Z", "renewTime": "2026-12-06T10:00:00.000000Z",
                 "leaseTransitions": 0},
    });
    let missing = call("GET", &one, &headers, None);
    assert_eq!(missing.status, 404);
    check(
        "kubernetes/status.schema.json",
        &missing.json(),
        "GET of a missing Lease",
    );
    let created = call("POST", &leases, &headers, Some(&body.to_string()));
    assert_eq!(created.status, 201);
    check("kubernetes/lease.schema.json", &created.json(), "POST");
    let again = call("POST", &leases, &headers, Some(&body.to_string()));
    assert_eq!(again.status, 409);
    assert_eq!(again.json()["reason"], "AlreadyExists");
    check(
        "kubernetes/status.schema.json",
        &again.json(),
        "second POST",
    );
    let read = call("GET", &one, &headers, None);
    assert_eq!(read.status, 200);
    check("kubernetes/lease.schema.json", &read.json(), "GET");
    let mut update = read.json();
    update["spec"]["renewTime"] = json!("2026-12-06T10:00:10.000000Z");
    let updated = call("PUT", &one, &headers, Some(&update.to_string()));
    assert_eq!(updated.status, 200);
    check("kubernetes/lease.schema.json", &updated.json(), "PUT");
    // The same resourceVersion again is stale now.
    let stale = call("PUT", &one, &headers, Some(&update.to_string()));
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json()["reason"], "Conflict");
    check("kubernetes/status.schema.json", &stale.json(), "stale PUT");
    let mut bad = updated.json();
    bad["spec"]["renewTime"] = json!("2026-12-06T10:00:10Z");
    let invalid = call("PUT", &one, &headers, Some(&bad.to_string()));
    assert_eq!(invalid.status, 422);
    check(
        "kubernetes/status.schema.json",
        &invalid.json(),
        "PUT without microseconds",
    );
    // No resourceVersion: no blind update of a Lease (AllowUnconditionalUpdate is false).
    let mut blind = updated.json();
    blind["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("resourceVersion");
    let unconditional = call("PUT", &one, &headers, Some(&blind.to_string()));
    assert_eq!(unconditional.status, 422);
    assert_eq!(unconditional.json()["reason"], "Invalid");
    assert!(
        unconditional.json()["message"].as_str().unwrap().contains(
            "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update"
        )
    );
    check(
        "kubernetes/status.schema.json",
        &unconditional.json(),
        "PUT without resourceVersion",
    );
    k8s.allow(&["get"]);
    let forbidden = call("PUT", &one, &headers, Some(&updated.json().to_string()));
    assert_eq!(forbidden.status, 403);
    assert_eq!(forbidden.json()["reason"], "Forbidden");
    check(
        "kubernetes/status.schema.json",
        &forbidden.json(),
        "PUT without the verb",
    );
    let anonymous = call("GET", &one, &[], None);
    assert_eq!(anonymous.status, 401);
    check(
        "kubernetes/status.schema.json",
        &anonymous.json(),
        "GET without a token",
    );
}
