//! Unit tests of `ops/apply.rs`.

use super::phrase_question;
use crate::plan::{Origin, Plan, preview};
use crate::reconcilers::Preview;

/// The render preview of a desired state with two device pools, one rack and one runner pool:
/// one example action per entry.
fn preview_plan() -> Plan {
    let yaml = "version: 1
sources:
  taskcluster: {root_url: 'https://tc.example'}
  lambdatest: {}
  maas: {url: 'https://maas.example/MAAS', api_key_env: MAAS}
  testflinger: {url: 'https://tf.example'}
  gitlab: {url: 'https://gitlab.example', token_env: GL}
device_pools:
  a: {task_queue: proj/a, devices: [A1], client_id: c, access_token_env: TA}
  b: {task_queue: proj/b, devices: [B1], client_id: c, access_token_env: TB}
racks:
  r: {maas_tags: [r]}
runner_pools:
  p: {tags: [t], projects: [group/app]}
";
    let desired = crate::load::parse(std::path::Path::new("t.yaml"), yaml)
        .unwrap()
        .desired;
    let origin = Origin {
        config_path: "t.yaml".into(),
        config_hash: String::new(),
    };
    let all = Preview {
        only: None,
        udid: None,
        agent: None,
    };
    preview(&desired, &origin, &all)
}

#[test]
fn the_question_counts_each_kind_of_action_it_would_take() {
    let mut plan = preview_plan();
    assert_eq!(
        phrase_question(&plan),
        "Apply this plan (2 job(s) to start, 1 machine(s) to deploy, 1 runner(s) to start)? \
         Only 'yes' is accepted: "
    );
    plan.device_pools.clear();
    plan.runner_pools.clear();
    assert_eq!(
        phrase_question(&plan),
        "Apply this plan (1 machine(s) to deploy)? Only 'yes' is accepted: "
    );
    assert_eq!(
        phrase_question(&Plan::default()),
        "Apply this plan (nothing to start, deploy or remove)? Only 'yes' is accepted: "
    );
}
