//! The busy-removal check of `apply --verify`: a job on a removed runner, or runnerless with
//! tags the pool serves, is noted; one on a runner still there, or of another pool's tags,
//! is not; an unread project says so.

use std::collections::BTreeMap;

use super::judge_busy_removals;
use crate::clients::gitlab::running::RunningJob;
use crate::load::parse;
use crate::reconcilers::runner_pools::config::RunnerPool;

fn pool() -> RunnerPool {
    let yaml = "version: 1\nsources:\n  gitlab: {url: 'https://gitlab.example', token_env: GL}\n  docker: {}\nrunner_pools:\n  ci:\n    tags: [docker, linux]\n    projects: [group/app]\n    max_runners: 3\n";
    let desired = parse(std::path::Path::new("t.yaml"), yaml).unwrap().desired;
    desired.runner_pools["ci"].clone()
}

fn job(id: u64, tags: &[&str], runner_id: Option<u64>) -> RunningJob {
    RunningJob {
        id,
        tag_list: tags.iter().map(|t| t.to_string()).collect(),
        runner_id,
    }
}

#[test]
fn a_job_on_a_removed_runner_or_runnerless_with_our_tags_is_noted() {
    let jobs = vec![
        job(1, &["docker"], Some(7)),
        job(2, &["docker", "linux"], None),
        job(3, &["docker"], Some(8)),
        job(4, &["gpu"], None),
        job(5, &[], None),
    ];
    let running = BTreeMap::from([("group/app", Ok(jobs))]);
    let lines = judge_busy_removals(&pool(), &[7], &running);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("job 1 of group/app is still running on runner 7"));
    assert!(lines[1].starts_with("job 2 of group/app is running with no runner"));
    assert!(lines[1].contains("this run removed runner 7"));
}

#[test]
fn no_running_job_of_ours_notes_nothing_and_an_unread_project_says_so() {
    let running = BTreeMap::from([("group/app", Ok(vec![job(3, &["docker"], Some(8))]))]);
    assert!(judge_busy_removals(&pool(), &[7], &running).is_empty());
    let failed = BTreeMap::from([("group/app", Err("gitlab GET x: 500".to_string()))]);
    let lines = judge_busy_removals(&pool(), &[7], &failed);
    assert_eq!(
        lines,
        ["whether runner 7 (removed this run) was busy is not known: gitlab GET x: 500"]
    );
}
