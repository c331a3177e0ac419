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
#[path = "deploy_job_tests.rs"]
mod tests;
