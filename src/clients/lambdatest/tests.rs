//! Unit tests of `clients/lambdatest/mod.rs`.

use super::*;

#[test]
fn parses_json_encoded_labels_exactly() {
    let wire = WireJob {
        id: "x".into(),
        job_number: 7,
        status: "initiated".into(),
        job_label: Some("[\"tcdp\",\"a55,perf\",\"R5\"]".into()),
        created_at: Some("2026-11-25T10:00:00Z".into()),
    };
    let job = decode_job(wire);
    assert_eq!(
        job.labels,
        Some(vec![
            "tcdp".to_string(),
            "a55,perf".to_string(),
            "R5".to_string()
        ])
    );
    assert_eq!(
        job.created_at,
        Some("2026-11-25T10:00:00Z".parse().unwrap())
    );
}

#[test]
fn treats_empty_or_garbled_labels_as_none() {
    for raw in [None, Some(""), Some("tcdp,a55,R5")] {
        let wire = WireJob {
            id: "x".into(),
            job_number: 1,
            status: "running".into(),
            job_label: raw.map(String::from),
            created_at: None,
        };
        assert_eq!(decode_job(wire).labels, None);
    }
}
