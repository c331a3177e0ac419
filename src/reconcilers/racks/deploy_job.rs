//! A rendered Testflinger deploy job must go to the queue the plan chose and carry every tag
//! the plan gives: a template may shape the job, never redirect it or hide it from the
//! history search. Checks text only; sends nothing.

use serde_json::Value;

/// Why the rendered `job` cannot be submitted as the plan's deploy to `queue` with `tags`.
pub(crate) fn check_deploy_job(job: &str, queue: &str, tags: &[String]) -> Result<(), String> {
    let parsed: Value =
        serde_saphyr::from_str(job).map_err(|e| format!("the rendered job is not YAML: {e}"))?;
    let sent_queue = parsed.get("job_queue").and_then(Value::as_str);
    if sent_queue != Some(queue) {
        let shown = sent_queue.map_or_else(|| "none".to_string(), str::to_string);
        return Err(format!(
            "the rendered job_queue is {shown}; devicepool sends this deploy to {queue} (write job_queue: {{{{ job_queue | quote }}}})"
        ));
    }
    let sent_tags: Vec<&str> = parsed
        .get("tags")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let missing: Vec<&str> = tags
        .iter()
        .map(String::as_str)
        .filter(|t| !sent_tags.contains(t))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the rendered job lacks the tag(s) {} that mark it as devicepool's (write tags: {{{{ tags | tojson }}}})",
            missing.join(",")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
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
}
