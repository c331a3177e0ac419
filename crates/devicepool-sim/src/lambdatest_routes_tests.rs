//! Unit tests of `lambdatest_routes.rs`.

use super::*;
use crate::probe::fetch;
use crate::{Fault, LambdatestSim};

fn auth() -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{SIM_USERNAME}:{SIM_ACCESS_KEY}"))
    )
}

fn call(lt: &LambdatestSim, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let a = auth();
    let (status, _, text) = fetch(
        method,
        &format!("{}{path}", lt.url()),
        &[("Authorization", &a)],
        body,
    );
    (status, text)
}

fn get_json(lt: &LambdatestSim, path: &str) -> Value {
    let (status, text) = call(lt, "GET", path, None);
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).expect("json")
}

fn numbers(v: &Value) -> Vec<u64> {
    v["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|j| j["job_number"].as_u64().expect("n"))
        .collect()
}

const JOBS: &str = "/v1.0/jobs?show_test_summary=false&is_cursor_base_pagination=true";

#[test]
fn basic_auth_is_required_everywhere() {
    let lt = LambdatestSim::start().expect("start");
    for path in [
        JOBS,
        "/mobile-automation/api/v1/privatecloud_devices",
        "/v2.0/job/x",
    ] {
        let url = format!("{}{path}", lt.url());
        assert_eq!(fetch("GET", &url, &[], None).0, 401);
        let bad = format!("Basic {}", STANDARD.encode("sim-user:wrong"));
        let (status, _, body) = fetch("GET", &url, &[("Authorization", &bad)], None);
        assert_eq!(status, 401);
        assert!(
            serde_json::from_str::<Value>(&body).is_err(),
            "401 body is text"
        );
    }
}

#[test]
fn jobs_newest_first_with_strict_cursor_and_encoded_labels() {
    let lt = LambdatestSim::start().expect("start");
    let t = Timestamp::from_second(1_780_000_000).expect("ts");
    let labels = |l: &[&str]| Some(l.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    lt.add_job(labels(&["tcdp", "a55", "R5CX1"]), "running", t);
    lt.add_job(None, "completed", t);
    lt.add_job(Some(vec![]), "initiated", t);
    for _ in 0..4 {
        lt.add_job(labels(&["tcdp"]), "failed", t);
    }
    let page1 = get_json(&lt, &format!("{JOBS}&limit=3"));
    assert_eq!(numbers(&page1), vec![1007, 1006, 1005]);
    let page2 = get_json(&lt, &format!("{JOBS}&limit=3&cursor=1005"));
    assert_eq!(numbers(&page2), vec![1004, 1003, 1002]);
    let page3 = get_json(&lt, &format!("{JOBS}&limit=3&cursor=1002"));
    assert_eq!(numbers(&page3), vec![1001]);
    let first = &page3["data"][0];
    assert_eq!(first["job_label"], "[\"tcdp\",\"a55\",\"R5CX1\"]");
    assert_eq!(first["created_at"], "2026-05-28T20:26:40Z");
    assert!(first["end_time"].is_null());
    assert!(page2["data"][1]["job_label"] == "" && page2["data"][2]["job_label"].is_null());
    assert_eq!(
        get_json(&lt, &format!("{JOBS}&cursor=1001")),
        json!({"data": []})
    );
    let active = get_json(&lt, &format!("{JOBS}&status=initiated,running"));
    assert_eq!(numbers(&active), vec![1003, 1001]);
    assert_eq!(numbers(&get_json(&lt, JOBS)).len(), 7.min(DEFAULT_LIMIT));
    lt.server()
        .inject("GET", "/v1.0/jobs", Fault::stale_cursor().times(1));
    assert_eq!(
        numbers(&get_json(&lt, &format!("{JOBS}&limit=3&cursor=1005"))),
        vec![1007, 1006, 1005]
    );
}

#[test]
fn a_status_filter_pages_by_cursor_over_the_matching_jobs_only() {
    let lt = LambdatestSim::start().expect("start");
    let t = Timestamp::from_second(1_780_000_000).expect("ts");
    for status in [
        "initiated",
        "completed",
        "initiated",
        "running",
        "initiated",
    ] {
        lt.add_job(None, status, t);
    }
    // 1001, 1003 and 1005 are initiated: two a page, then the one left, then none.
    let filtered = format!("{JOBS}&status=initiated&limit=2");
    assert_eq!(numbers(&get_json(&lt, &filtered)), vec![1005, 1003]);
    let page2 = get_json(&lt, &format!("{filtered}&cursor=1003"));
    assert_eq!(numbers(&page2), vec![1001]);
    assert_eq!(
        get_json(&lt, &format!("{filtered}&cursor=1001")),
        json!({"data": []})
    );
}

#[test]
fn devices_follow_the_job_model_and_launches_register_jobs() {
    let lt = LambdatestSim::start().expect("start");
    lt.add_device("R5CX1", "Galaxy A55 5G", "active");
    lt.add_device("R5CX2", "Galaxy A55 5G", "cleanup");
    let launch = json!({"labels": ["tcdp", "a55", "R5CX1"], "fixed_ip": "R5CX1", "concurrency": 1, "runson": "android"});
    let (status, text) = call(&lt, "POST", LAUNCH_PATH, Some(&launch.to_string()));
    assert_eq!(status, 200, "{text}");
    let answer: Value = serde_json::from_str(&text).expect("json");
    let id = answer["id"].as_str().expect("id").to_string();
    assert_eq!(answer["job_number"], 1001);
    let bad = json!({"fixed_ip": "R5CX1", "concurrency": 2});
    assert_eq!(
        call(&lt, "POST", LAUNCH_PATH, Some(&bad.to_string())).0,
        400
    );
    assert_eq!(
        call(&lt, "POST", LAUNCH_PATH, Some(r#"{"concurrency":1}"#)).0,
        400
    );
    let launches = lt.launches();
    assert_eq!(
        (launches.len(), launches[0].status.as_str()),
        (1, "initiated")
    );
    let statuses = |lt: &LambdatestSim| {
        let v = get_json(lt, "/mobile-automation/api/v1/privatecloud_devices");
        assert_eq!(v["status"], "success");
        let devices = v["data"]["private_cloud_devices"]
            .as_array()
            .expect("devices")
            .clone();
        devices
            .iter()
            .map(|d| d["status"].as_str().expect("s").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(statuses(&lt), ["active", "cleanup"]);
    assert_eq!(lt.start_initiated_jobs(), 1);
    assert_eq!(statuses(&lt), ["busy", "cleanup"]);
    assert_eq!(
        get_json(&lt, &format!("/v2.0/job/{id}"))["data"]["status"],
        "running"
    );
    lt.set_job_status(&id, "completed");
    lt.set_device_status("R5CX2", "active");
    assert_eq!(statuses(&lt), ["active", "active"]);
    assert_eq!(call(&lt, "GET", "/v2.0/job/unknown", None).0, 404);
}
