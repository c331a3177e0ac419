//! Unit tests of `reconcilers/racks/deploy_job.rs`.

use super::check_deploy_job;

fn tags() -> Vec<String> {
    vec!["devicepool".into(), "rack:a".into()]
}

#[test]
fn the_plan_queue_and_all_its_tags_pass_extra_tags_too() {
    let job = "job_queue: q-1\ntags: [devicepool, rack:a, extra]\n";
    assert_eq!(check_deploy_job(job, "q-1", &tags()), Ok(()));
}

#[test]
fn another_queue_or_a_missing_tag_is_refused_with_the_reason() {
    let other = check_deploy_job(
        "job_queue: shared\ntags: [devicepool, rack:a]\n",
        "q-1",
        &tags(),
    );
    assert!(
        other
            .unwrap_err()
            .contains("job_queue is shared; devicepool sends this deploy to q-1")
    );
    let untagged = check_deploy_job("job_queue: q-1\ntags: [rack:a]\n", "q-1", &tags());
    assert!(
        untagged
            .unwrap_err()
            .contains("lacks the tag(s) devicepool")
    );
    let no_queue = check_deploy_job("tags: [devicepool, rack:a]\n", "q-1", &tags());
    assert!(no_queue.unwrap_err().contains("job_queue is none"));
    assert!(check_deploy_job("[unclosed", "q-1", &tags()).is_err());
}
