//! The single integration-test binary: drives the real `devicepool` binary against the
//! simulated fleet's loopback fakes.

mod apply;
mod completions;
mod covering;
mod dashboard;
mod dashboard_fleet;
mod dashboard_schedule;
mod device_specs;
mod did_you_mean;
mod doc_examples;
mod docs;
mod fault_matrix;
mod faults;
mod fidelity;
mod group_wording;
mod hostile_files;
mod inputs;
mod kill;
mod launching;
mod lease;
mod liveness;
mod metrics;
mod metrics_push;
mod org_initiated;
mod ownership;
mod ownership_files;
mod ownership_runners;
mod page;
mod partition;
mod plan;
mod podman;
mod previews;
mod queue_wait;
mod racks;
mod racks_big_results;
mod racks_fidelity;
mod racks_holds;
mod racks_inputs;
mod racks_reads;
mod racks_rollout;
mod racks_stuck;
mod racks_verify;
mod redaction_cut;
mod redaction_cut_writes;
mod render;
mod replay;
mod rollout_busy;
mod rollout_failures;
mod rollout_pause;
mod rollout_runners;
mod runner_hosts;
mod runners;
mod runners_drain;
mod saved_plans;
mod schedules;
mod secrets;
mod sharing;
mod show;
mod sim_serve;
mod state_dir;
mod stuck_jobs;
mod support;
mod template_bounds;
mod terminal;
mod unattended;
mod upstream;
mod verify_devices;
mod wording;
mod workflows;

#[test]
fn help_lists_every_verb_and_the_exit_codes() {
    let out = support::devicepool(&["--help"]).run();
    out.expect_code(0);
    let text = out.stdout;
    for verb in completions::VERBS {
        assert!(text.contains(verb), "{verb} missing from --help:\n{text}");
    }
    assert!(text.contains("5 another run holds the lock"), "{text}");
    assert!(text.contains("usage errors too"), "{text}");
}
