//! Unit tests of `record.rs`: the run record round-trips and the settle wait.

use super::*;

#[test]
fn a_record_round_trips_and_an_alien_one_is_empty() {
    let record = RunRecord {
        holder: Some(Holder::this_process()),
        last_mutation_at: Some(Timestamp::UNIX_EPOCH),
        in_flight_until: None,
        last_success_at: Some(Timestamp::UNIX_EPOCH),
    };
    assert_eq!(RunRecord::parse(&record.to_json()), record);
    assert_eq!(RunRecord::parse("not json"), RunRecord::default());
}

#[test]
fn the_settle_wait_runs_to_the_in_flight_horizon_and_never_below_zero() {
    let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
    let mut record = RunRecord {
        in_flight_until: Some("2026-01-01T00:00:05Z".parse().unwrap()),
        ..RunRecord::default()
    };
    assert_eq!(record.settle_wait(now), Duration::from_secs(5));
    record.in_flight_until = Some("2025-12-31T23:59:00Z".parse().unwrap());
    assert_eq!(record.settle_wait(now), Duration::ZERO);
    assert_eq!(RunRecord::default().settle_wait(now), Duration::ZERO);
}
