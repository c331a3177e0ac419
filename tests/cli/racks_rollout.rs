//! Rack roll-outs (issue 22) through the binary against the MAAS and Testflinger fakes: a
//! changed `provision_data` redeploys outdated machines before `every`, within `max_per_run`
//! and `max_deploys_per_run`, until converged; a canary rack goes first and a failing one
//! pauses the other; a saved plan made before a change redeploys nothing.

use serde_json::Value;

use crate::support::{LabDir, Outcome};
use devicepool_sim::Fleet;

/// Racks of machines `<rack>-NN`, each with a waiting agent of its own queue in TOR3 whose
/// provisions passed so far.
struct RolloutLab {
    fleet: Fleet,
    dir: LabDir,
}

impl RolloutLab {
    fn new(racks: &[(&str, usize)]) -> RolloutLab {
        let fleet = Fleet::start().unwrap();
        for (rack, machines) in racks {
            fleet.maas.add_tag(rack);
            for i in 1..=*machines {
                let host = format!("{rack}-{i:02}");
                fleet.maas.add_machine(&host, &[rack], "Deployed");
                (fleet.testflinger).add_agent(
                    &host,
                    "waiting",
                    &[&host],
                    "TOR3",
                    Some(("pass", 1)),
                );
            }
        }
        RolloutLab {
            fleet,
            dir: LabDir::new(&["racks.yaml", "plan.json", "templates/deploy.yaml.j2"]),
        }
    }

    /// Writes `templates/deploy.yaml.j2`: the built-in deploy job, then `extra` lines.
    fn write_template(&self, extra: &str) {
        let dir = self.dir.path().join("templates");
        std::fs::create_dir_all(&dir).unwrap();
        let builtin = include_str!("../../templates/testflinger-deploy.yaml.j2");
        std::fs::write(dir.join("deploy.yaml.j2"), format!("{builtin}{extra}")).unwrap();
    }

    /// Writes the desired state: `racks` is the YAML of the `racks:` section's entries.
    fn write(&self, racks: &str) {
        if !self.dir.path().join("templates").is_dir() {
            self.write_template("");
        }
        let yaml = format!(
            "version: 1\nsettings:\n  state_dir: state\n  templates_dir: templates\n  http: {{timeout: 2s, retries: 1, backoff: 10ms}}\nsources:\n  maas:\n    url: {}\n    api_key_env: MAAS_API_KEY\n  testflinger:\n    url: {}\nracks:\n{racks}",
            self.fleet.maas.url(),
            self.fleet.testflinger.url()
        );
        std::fs::write(self.dir.path().join("racks.yaml"), yaml).unwrap();
    }

    fn run(&self, args: &[&str]) -> Outcome {
        crate::racks::rack_command(&self.fleet, self.dir.path(), args).run()
    }

    /// The plan as JSON, by rack name.
    fn plan(&self) -> Value {
        let plan = self.run(&["plan", "racks.yaml", "--format", "json"]);
        plan.expect_code(0);
        plan.json()
    }

    /// Applies (exit 0) and gives the agents deployed, in order.
    fn apply(&self, extra: &[&str]) -> Vec<String> {
        let before = self.fleet.testflinger.submissions().len();
        let mut args = vec!["apply", "racks.yaml"];
        args.extend(extra);
        self.run(&args).expect_code(0);
        let submissions = self.fleet.testflinger.submissions();
        (submissions[before..].iter())
            .map(|s| s["job_queue"].as_str().unwrap().to_string())
            .collect()
    }

    /// Every job not ended is taken and finished by its agent, provision exiting `code`
    /// (only on agents `on` starts with); then ten minutes pass.
    fn finish_jobs(&self, on: &str, code: i64) {
        self.finish_jobs_with(on, &[("provision", code)]);
    }

    /// Like `finish_jobs`, the agent reporting `phases` (phase, exit code).
    fn finish_jobs_with(&self, on: &str, phases: &[(&str, i64)]) {
        let tf = &self.fleet.testflinger;
        for job in tf.jobs() {
            let ended = matches!(job.job_state.as_str(), "complete" | "cancelled");
            if !ended && job.queue().starts_with(on) {
                assert!(tf.complete_job(&job.job_id, phases));
            }
        }
        tf.advance_clock(600);
    }

    /// How many results (`GET /v1/result/<id>`) the Testflinger fake served since `clear`.
    fn results_read(&self) -> usize {
        let requests = self.fleet.testflinger.server().requests();
        (requests.iter())
            .filter(|r| r.path.starts_with("/v1/result/"))
            .count()
    }

    fn clear(&self) {
        self.fleet.testflinger.server().clear_requests();
    }
}

fn sorted(mut agents: Vec<String>) -> Vec<String> {
    agents.sort();
    agents
}

/// A rack's entry in the plan.
fn rack<'a>(plan: &'a Value, name: &str) -> &'a Value {
    let racks = plan["racks"].as_array().unwrap();
    racks.iter().find(|r| r["rack"] == name).unwrap()
}

/// The machines of a rack in `state`.
fn in_state(rack: &Value, state: &str) -> Vec<String> {
    let machines = rack["machines"].as_array().unwrap();
    (machines.iter())
        .filter(|m| m["state"] == state)
        .map(|m| m["hostname"].as_str().unwrap().to_string())
        .collect()
}

fn rack_yaml(name: &str, distro: &str, extra: &str) -> String {
    format!(
        "  {name}:\n    maas_tags: [{name}]\n    every: 1d\n    provision_data: {{distro: {distro}}}\n{extra}"
    )
}

#[test]
fn a_changed_provision_data_redeploys_outdated_machines_within_budget_until_converged() {
    let lab = RolloutLab::new(&[("rack-a", 6)]);
    let policy = "    rollout: {max_per_run: 2}\n";
    lab.write(&rack_yaml("rack-a", "noble", policy));
    assert_eq!(lab.apply(&[]).len(), 6, "never deployed: all due");
    lab.finish_jobs("", 0);
    let plan = lab.plan();
    let rollout = &rack(&plan, "rack-a")["rollout"];
    assert_eq!(rollout["state"], "converged", "{rollout}");
    let spec = rollout["spec"].as_str().unwrap().to_string();

    // provision_data changes: every machine is outdated, `every` (1d) is far.
    lab.write(&rack_yaml("rack-a", "jammy", policy));
    let plan = lab.plan();
    let rack_a = rack(&plan, "rack-a");
    let rollout = &rack_a["rollout"];
    assert_ne!(rollout["spec"], spec.as_str(), "a new spec");
    assert_eq!(
        rollout["outdated"].as_array().unwrap().len(),
        6,
        "{rollout}"
    );
    assert_eq!(
        (&rollout["replace"], &rollout["state"]),
        (&2.into(), &"rolling".into())
    );
    assert_eq!(in_state(rack_a, "outdated"), ["rack-a-01", "rack-a-02"]);
    assert_eq!(in_state(rack_a, "not_due").len(), 4);
    let detail = rack_a["machines"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("roll-out 1 of 2"), "{detail}");
    let text = lab.run(&["plan", "racks.yaml"]);
    assert!(text.stdout.contains("Roll-out: spec "), "{}", text.stdout);
    assert!(
        text.stdout.contains("outdated: rack-a-01, rack-a-02,"),
        "{}",
        text.stdout
    );

    // max_deploys_per_run binds before max_per_run.
    let tight = "    max_deploys_per_run: 1\n    rollout: {max_per_run: 2}\n";
    lab.write(&rack_yaml("rack-a", "jammy", tight));
    assert_eq!(lab.apply(&[]), ["rack-a-01"]);
    lab.finish_jobs("", 0);

    // Runs repeat until converged, at most 2 a run; `--verify` keeps working.
    lab.write(&rack_yaml("rack-a", "jammy", policy));
    let mut runs = 0;
    let mut deployed = vec!["rack-a-01".to_string()];
    loop {
        let now = lab.apply(&["--verify"]);
        if now.is_empty() {
            break;
        }
        runs += 1;
        assert!(now.len() <= 2, "{now:?}");
        deployed.extend(now);
        lab.finish_jobs("", 0);
    }
    deployed.sort();
    let all: Vec<String> = (1..=6).map(|i| format!("rack-a-{i:02}")).collect();
    assert_eq!(deployed, all, "each machine redeployed once");
    assert_eq!(runs, 3, "5 left at 2 a run");
    let plan = lab.plan();
    assert_eq!(rack(&plan, "rack-a")["rollout"]["state"], "converged");
    let newest = lab.fleet.testflinger.submissions();
    assert_eq!(newest.last().unwrap()["provision_data"]["distro"], "jammy");
}

#[test]
fn a_six_machine_rack_with_max_per_run_2_converges_in_three_runs() {
    let lab = RolloutLab::new(&[("rack-a", 6)]);
    let policy = "    rollout: {max_per_run: 2}\n";
    lab.write(&rack_yaml("rack-a", "noble", policy));
    lab.apply(&[]);
    lab.finish_jobs("", 0);
    lab.write(&rack_yaml("rack-a", "jammy", policy));
    let mut runs = 0;
    while !lab.apply(&[]).is_empty() {
        runs += 1;
        lab.finish_jobs("", 0);
    }
    println!(
        "a 6-machine rack with rollout max_per_run: 2 converges in {runs} runs that redeploy (then one that finds nothing outdated)"
    );
    assert_eq!(runs, 3);
}

/// A lab of a canary rack (2 machines) and a main rack (3) following it, deployed once, then
/// both racks' provision_data changed; the canary's redeploys report `phases`.
/// Gives the lab and what the main rack's next apply deploys.
fn roll_canary(phases: &[(&str, i64)]) -> (RolloutLab, Vec<String>) {
    let lab = RolloutLab::new(&[("canary", 2), ("main", 3)]);
    let write = |distro: &str| {
        let follow = "    rollout: {max_per_run: 3, canary: {pool: canary}}\n";
        let first = "    rollout: {max_per_run: 2}\n";
        lab.write(&(rack_yaml("canary", distro, first) + &rack_yaml("main", distro, follow)));
    };
    write("noble");
    assert_eq!(lab.apply(&[]).len(), 5);
    lab.finish_jobs("", 0);
    write("jammy");
    let plan = lab.plan();
    let main = &rack(&plan, "main")["rollout"];
    assert_eq!(
        (&main["state"], &main["replace"]),
        (&"waiting".into(), &0.into())
    );
    assert!(
        main["reason"]
            .as_str()
            .unwrap()
            .contains("canary pool canary still has 2 outdated"),
        "{main}"
    );
    // The canary goes first, alone.
    assert_eq!(sorted(lab.apply(&[])), ["canary-01", "canary-02"]);
    lab.finish_jobs_with("canary", phases);
    let after = lab.apply(&[]);
    (lab, after)
}

#[test]
fn a_canary_rack_goes_first_and_the_other_follows_once_it_is_proven() {
    let (lab, main) = roll_canary(&[("setup", 0), ("provision", 0)]);
    assert_eq!(sorted(main), ["main-01", "main-02", "main-03"]);
    // Converged: no rack rolls out, so no result is read for how the new spec fares.
    lab.finish_jobs("main", 0);
    lab.clear();
    let plan = lab.plan();
    assert_eq!(rack(&plan, "main")["rollout"]["state"], "converged");
    assert_eq!(lab.results_read(), 0);
}

/// The canary's new deploys reported `phases` and failed: the main rack deployed nothing and
/// its next plan is paused, all 3 of its machines outdated. Gives the lab.
fn expect_main_paused(phases: &[(&str, i64)]) -> RolloutLab {
    let (lab, main) = roll_canary(phases);
    assert!(main.is_empty(), "{main:?}");
    lab.clear();
    let plan = lab.plan();
    let main = &rack(&plan, "main")["rollout"];
    assert_eq!(
        (&main["state"], &main["replace"]),
        (&"paused".into(), &0.into())
    );
    let reason = main["reason"].as_str().unwrap();
    assert!(reason.contains("new spec 2 of 2 failed"), "{reason}");
    assert_eq!(main["outdated"].as_array().unwrap().len(), 3);
    lab
}

#[test]
fn a_canary_rack_whose_new_deploys_fail_pauses_the_other() {
    expect_main_paused(&[("provision", 1)]);
}

#[test]
fn a_canary_rack_whose_new_deploys_fail_before_provisioning_pauses_the_other() {
    // Setup fails: the agents never provision, so their streak still passes (the old
    // deploys'); the new deploys' own results say they failed.
    let lab = expect_main_paused(&[("setup", 1), ("cleanup", 0)]);
    let agents = lab.fleet.testflinger.agents();
    let canary_01 = agents.iter().find(|a| a["name"] == "canary-01").unwrap();
    assert_eq!(canary_01["provision_streak_type"], "pass");
    // The plan read one result per canary machine on the new spec, none of the main rack's
    // machines on the old one.
    assert_eq!(lab.results_read(), 2);
}

#[test]
fn a_saved_plan_made_before_a_spec_change_redeploys_nothing() {
    let lab = RolloutLab::new(&[("rack-a", 3)]);
    let policy = "    template: deploy.yaml.j2\n    rollout: {max_per_run: 2}\n";
    lab.write(&rack_yaml("rack-a", "noble", policy));
    lab.apply(&[]);
    lab.finish_jobs("", 0);
    let save = || {
        lab.run(&["plan", "racks.yaml", "--out", "plan.json"])
            .expect_code(0);
    };
    // Saved before the template changes (the desired state's file does not): nothing to roll
    // out then, so applying it after the change deploys nothing, though a fresh plan would.
    save();
    lab.write_template("allocation_timeout: 600\n");
    assert_eq!(lab.apply(&["--plan", "plan.json"]), Vec::<String>::new());
    let plan = lab.plan();
    let outdated = &rack(&plan, "rack-a")["rollout"]["outdated"];
    assert_eq!(outdated.as_array().unwrap().len(), 3, "{outdated}");
    // Saved while rolling that out, applied after the template changed again: the saved
    // redeploys carry the old spec's tag and job, so none is sent.
    save();
    let saved = std::fs::read_to_string(lab.dir.path().join("plan.json")).unwrap();
    let saved: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(saved["racks"][0]["deploys"].as_array().unwrap().len(), 2);
    lab.write_template("allocation_timeout: 900\n");
    let out = lab.run(&["apply", "racks.yaml", "--plan", "plan.json"]);
    out.expect_code(0);
    assert!(
        out.stdout.contains("skipped rack-a rack-a-01"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("spec:"),
        "the tags that differ: {}",
        out.stdout
    );
    assert_eq!(
        lab.fleet.testflinger.submissions().len(),
        3,
        "only the first deploys"
    );
    // A saved plan whose own roll-out still holds is applied as saved.
    save();
    assert_eq!(
        sorted(lab.apply(&["--plan", "plan.json"])),
        ["rack-a-01", "rack-a-02"]
    );
    let sent = lab.fleet.testflinger.submissions();
    assert_eq!(sent.last().unwrap()["allocation_timeout"], 900);
    // A change of provision_data itself changes the desired state: the saved plan is refused.
    save();
    lab.write(&rack_yaml("rack-a", "jammy", policy));
    let refused = lab.run(&["apply", "racks.yaml", "--plan", "plan.json"]);
    refused.expect_code(1);
    assert!(
        refused.stderr.contains("Make a new plan"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_result_read_for_the_roll_out_is_not_read_again_for_a_machine_due() {
    let lab = RolloutLab::new(&[("rack-a", 3)]);
    lab.write(&rack_yaml("rack-a", "noble", ""));
    lab.apply(&[]);
    lab.finish_jobs("", 0);
    lab.write(&rack_yaml("rack-a", "jammy", ""));
    assert_eq!(lab.apply(&[]), ["rack-a-01"], "max_per_run 1");
    lab.finish_jobs("", 0);
    // A day later every machine is due; rack-a-01 runs the new spec, the others are still
    // outdated, so the roll-out reads rack-a-01's result, and the plan reports its outcome
    // from that same read.
    lab.fleet.testflinger.advance_clock(86_400);
    lab.clear();
    let plan = lab.plan();
    let rack_a = rack(&plan, "rack-a");
    assert_eq!(in_state(rack_a, "deploy").len(), 3, "{rack_a}");
    let first = &rack_a["machines"][0];
    assert_eq!(first["last_deploy"]["outcome"], "ok", "{first}");
    assert_eq!(lab.results_read(), 3, "one result per machine");
}
