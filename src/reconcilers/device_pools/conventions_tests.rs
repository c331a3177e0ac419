//! The spec label a job carries after its fleet markers: read as the job's spec, never
//! changing whether the job is ours, another fleet's or a look-alike.

use super::*;
use crate::reconcilers::ownership::Verdict;
use crate::secret::Secret;

const SPEC: &str = "0123456789ab";

fn job(labels: &[&str]) -> Job {
    Job {
        id: "j".into(),
        job_number: 1,
        status: "running".into(),
        labels: Some(labels.iter().map(|l| l.to_string()).collect()),
        created_at: None,
    }
}

/// The verdict on a job of `labels` for fleet `lab`, with or without a key.
fn verdict(labels: &[String], key: Option<&Secret>) -> Option<Verdict> {
    let owner = Ownership::new("lab", key);
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    job_claim(&job(&labels), "tcdp", &owner).map(|(_, _, verdict)| verdict)
}

#[test]
fn a_spec_label_leaves_every_ownership_verdict_as_it_was() {
    let key = Secret::new("k".repeat(32));
    let fleets: [(&str, Option<&Secret>); 2] = [("lab", None), ("lab", Some(&key))];
    for (fleet, key) in fleets {
        let owner = Ownership::new(fleet, key);
        let ours = job_labels("tcdp", &owner, "a55", "D1");
        let other = job_labels("tcdp", &Ownership::new("other", key), "a55", "D1");
        let copied = job_labels("tcdp", &owner, "a55", "D2")
            .into_iter()
            .map(|l| l.replace("D2", "D1"))
            .collect::<Vec<_>>();
        let unmarked = vec!["tcdp".to_string(), "a55".into(), "D1".into()];
        for labels in [ours, other, copied, unmarked] {
            let mut with_spec = labels.clone();
            set_spec_label(&mut with_spec, SPEC);
            assert_eq!(
                verdict(&with_spec, key),
                verdict(&labels, key),
                "{labels:?}"
            );
        }
    }
    let key = Secret::new("k".repeat(32));
    let mut copied = job_labels("tcdp", &Ownership::new("lab", Some(&key)), "a55", "D2");
    copied[2] = "D1".into();
    set_spec_label(&mut copied, SPEC);
    assert!(matches!(
        verdict(&copied, Some(&key)),
        Some(Verdict::LookAlike(_))
    ));
}

#[test]
fn the_spec_label_is_read_only_when_it_is_a_digest() {
    let spec = format!("spec:{SPEC}");
    assert_eq!(
        job_spec(&job(&["tcdp", "a55", "D1", "fleet:lab", &spec])),
        Some(SPEC)
    );
    assert_eq!(job_spec(&job(&["tcdp", "a55", "D1", "fleet:lab"])), None);
    assert_eq!(job_spec(&job(&["tcdp", "a55", "D1", "spec:XYZ"])), None);
    let twice = job(&["tcdp", "a55", "D1", &spec, &spec]);
    assert_eq!(job_spec(&twice), None);
    assert_eq!(
        job_claim(&twice, "tcdp", &Ownership::new("lab", None)),
        None
    );
}

#[test]
fn a_start_rendered_twice_carries_one_spec_label_last() {
    let mut labels = vec![
        "tcdp".to_string(),
        "a55".into(),
        "D1".into(),
        "fleet:lab".into(),
    ];
    set_spec_label(&mut labels, "aaaaaaaaaaaa");
    set_spec_label(&mut labels, SPEC);
    assert_eq!(
        labels,
        ["tcdp", "a55", "D1", "fleet:lab", &format!("spec:{SPEC}")]
    );
}
