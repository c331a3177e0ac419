use super::*;

#[test]
fn a_running_job_reads_its_runner_or_none_when_gitlab_shows_null() {
    let body = r#"[
        {"id": 7, "status": "running", "tag_list": ["a"], "runner": {"id": 3, "description": "x"}},
        {"id": 6, "status": "running", "tag_list": [], "runner": null}
    ]"#;
    let jobs = decode_running_page(body).unwrap();
    assert_eq!(jobs[0].runner_id, Some(3));
    assert_eq!(jobs[0].tag_list, ["a"]);
    assert_eq!(jobs[1].runner_id, None);
}

#[test]
fn a_job_without_the_runner_field_is_refused_not_read_as_runnerless() {
    let body = r#"[{"id": 7, "status": "running", "tag_list": ["a"]}]"#;
    let err = decode_running_page(body).unwrap_err();
    assert!(err.contains("runner"), "{err}");
}
