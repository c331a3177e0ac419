//! Unit tests of `reconcilers/racks/stuck.rs`.

use std::time::Duration;

use jiff::Timestamp;

use super::stuck_deploys;
use crate::snapshot::{AgentHistory, TestflingerJob};

fn job(id: &str, state: &str, created_at: Option<&str>) -> TestflingerJob {
    TestflingerJob {
        job_id: id.into(),
        job_state: state.into(),
        created_at: created_at.map(|t| t.parse().unwrap()),
    }
}

#[test]
fn only_our_waiting_jobs_past_stuck_after_or_on_an_unpolled_queue_are_stuck() {
    let now: Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
    let mut history = AgentHistory {
        jobs: vec![
            job("old", "waiting", Some("2026-11-26T09:00:00Z")),
            job("young", "waiting", Some("2026-11-27T09:00:00Z")),
            job("moved", "waiting", Some("2026-11-27T09:30:00Z")),
            job("running", "provision", Some("2026-11-20T10:00:00Z")),
            job("undated", "waiting", None),
        ],
        ..AgentHistory::default()
    };
    history.waiting_queues.insert("young".into(), "m1".into());
    history
        .waiting_queues
        .insert("moved".into(), "m1-old".into());
    let day = Duration::from_secs(24 * 3600);
    let stuck = stuck_deploys(&history, &["m1"], day, now);
    let found: Vec<(&str, &str)> = (stuck.iter())
        .map(|s| (s.job_id.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "old",
                "waiting since 2026-11-26T09:00:00Z, past stuck_after (24h)"
            ),
            (
                "moved",
                "waiting on queue m1-old, which the agent does not poll (m1)"
            ),
        ]
    );
    // Exactly at the limit a job still holds its machine.
    let at_limit = stuck_deploys(
        &history,
        &["m1", "m1-old"],
        Duration::from_secs(25 * 3600),
        now,
    );
    assert!(at_limit.is_empty(), "{at_limit:?}");
}
