//! Ownership of jobs and deploys (issue 18): an upgrade keeps what today's conventions made
//! (a snapshot recorded by the previous release replays with nothing started twice), a
//! job whose MAC was copied from another device's job holds nothing of ours, and a foreign
//! Testflinger job carrying our tags is not our deploy.

use crate::racks::RackLab;
use crate::support::{Lab, devicepool, pool, pool_of, udid};

const KEY: &str = "lab-ownership-key-0123456789";

/// A desired state and a snapshot recorded by the release before fleets existed, after one
/// apply against `sim serve`: 3 jobs labelled `tcdp,phones,<udid>` waiting, 3 deploys tagged
/// `devicepool,rack:rack-b,agent:<agent>` queued, 2 idle runners `devicepool-ci-<stamp>-<n>`
/// with their containers.
const LEGACY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/cli/inputs/legacy-conventions"
);

fn replay_legacy(settings: &str) -> serde_json::Value {
    let out = replay_legacy_as(settings);
    assert_eq!(out.code, 0, "{out:?}");
    out.json()
}

/// `plan --from-snapshot` of the legacy snapshot with `settings` added to its desired state.
fn replay_legacy_as(settings: &str) -> crate::support::Outcome {
    let dir = tempfile::tempdir().unwrap();
    let yaml = std::fs::read_to_string(format!("{LEGACY}.yaml")).unwrap();
    let yaml = yaml.replacen("settings:\n", &format!("settings:\n{settings}"), 1);
    std::fs::write(dir.path().join("desired.yaml"), yaml).unwrap();
    let snapshot = format!("{LEGACY}.snapshot.json");
    devicepool(&["plan", "desired.yaml", "--format", "json"])
        .args(&["--from-snapshot", &snapshot])
        .current_dir(dir.path())
        .env("OWN_KEY", KEY)
        .run()
}

/// A lab of `spec` whose desired state names the fleet `lab-a` and the key in `OWN_KEY`.
pub(crate) fn keyed_lab(spec: crate::support::PoolSpec) -> Lab {
    let lab = Lab::new(vec![spec]);
    let yaml = lab.config_yaml().replacen(
        "settings:\n",
        "settings:\n  ownership_key_env: OWN_KEY\n  fleet: lab-a\n",
        1,
    );
    std::fs::write(&lab.config, yaml).unwrap();
    lab
}

fn count(value: &serde_json::Value) -> usize {
    value.as_array().map_or(0, Vec::len)
}

#[test]
fn a_snapshot_recorded_with_todays_conventions_replays_with_nothing_started_twice() {
    let plan = replay_legacy("");
    let phones = pool_of(&plan, "phones");
    assert_eq!(
        count(&phones["starts"]),
        0,
        "a device with a waiting job of ours got another"
    );
    assert_eq!(phones["numbers"]["in_flight"], 3, "{phones}");
    assert_eq!(
        count(&plan["racks"][0]["deploys"]),
        0,
        "a queued deploy was submitted again"
    );
    let runners = &plan["runner_pools"][0];
    assert_eq!(
        count(&runners["runners"]),
        2,
        "the old runners are still ours"
    );
    assert_eq!(
        count(&runners["starts"]) + count(&runners["removals"]),
        0,
        "{runners}"
    );
    assert!(plan.get("look_alikes").is_none(), "{plan}");
}

#[test]
fn a_snapshot_is_not_replayed_for_another_fleet_or_key() {
    // Its runners were judged ours when read, for the default fleet without a key.
    for settings in ["  fleet: lab-b\n", "  ownership_key_env: OWN_KEY\n"] {
        let out = replay_legacy_as(settings);
        assert_eq!(out.code, 1, "{settings}: {out:?}");
        let refused = "the snapshot was read for fleet \"default\" without an ownership key";
        assert!(
            out.stderr.contains(refused)
                && out
                    .stderr
                    .contains("cannot be replayed for another fleet or key"),
            "{settings}: {}",
            out.stderr
        );
        assert!(out.stdout.is_empty(), "{settings}: a plan was shown");
        assert!(!out.stderr.contains(KEY), "the key was printed");
    }
}

#[test]
fn a_named_fleet_or_a_key_starts_nothing_beside_the_jobs_made_before_fleets() {
    for settings in ["  fleet: lab-b\n", "  ownership_key_env: OWN_KEY\n"] {
        // Three waiting jobs labelled the way devicepool labelled them before fleets.
        let lab = Lab::new(vec![pool("a55", 3, 3)]);
        for device in 1..=3 {
            let labels = vec!["tcdp".to_string(), "a55".to_string(), udid("a55", device)];
            (lab.fleet.lambdatest).add_job(Some(labels), "initiated", jiff::Timestamp::now());
        }
        let yaml = lab
            .config_yaml()
            .replacen("settings:\n", &format!("settings:\n{settings}"), 1);
        std::fs::write(&lab.config, yaml).unwrap();
        let out = lab
            .command(&["apply", lab.config_arg()])
            .env("OWN_KEY", KEY)
            .run();
        assert_eq!(out.code, 0, "{settings}: {out:?}");
        assert!(
            lab.fleet.lambdatest.launches().is_empty(),
            "{settings}: a device with a waiting job got a second one"
        );
        let plan = lab
            .command(&["plan", lab.config_arg(), "--format", "json"])
            .env("OWN_KEY", KEY)
            .run()
            .json();
        let jobs = (plan["look_alikes"].as_array().unwrap().iter())
            .filter(|l| l["object"] == "job")
            .count();
        assert_eq!(jobs, 3, "{settings}: listed and left alone: {plan}");
    }
}

#[test]
fn a_job_whose_mac_was_copied_from_another_device_holds_nothing_of_ours() {
    let lab = keyed_lab(pool("a55", 4, 2));
    let out = lab
        .command(&["apply", lab.config_arg()])
        .env("OWN_KEY", KEY)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let launched = lab.fleet.lambdatest.launches();
    assert_eq!(launched.len(), 2);
    let labels = launched[0].labels.clone().unwrap();
    assert_eq!(labels[3], "fleet:lab-a");
    assert!(
        labels[4].starts_with("mac:") && labels[4].len() == 4 + 16,
        "{labels:?}"
    );
    // The first job's labels, MAC and all, on a job naming a free device.
    let free = ["A55-01", "A55-02", "A55-03", "A55-04"]
        .into_iter()
        .find(|u| !launched.iter().any(|j| j.labels.as_ref().unwrap()[2] == *u))
        .unwrap();
    let mut copied = labels.clone();
    copied[2] = free.to_string();
    let now = jiff::Timestamp::now();
    lab.fleet.lambdatest.add_job(Some(copied), "initiated", now);
    lab.fleet
        .taskcluster
        .set_counts(&crate::support::queue_of("a55"), 3, 0);
    let out = lab
        .command(&["plan", lab.config_arg(), "--format", "json"])
        .env("OWN_KEY", KEY)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let plan = out.json();
    let a55 = pool_of(&plan, "a55");
    assert_eq!(
        a55["numbers"]["in_flight"], 2,
        "only our two jobs count: {a55}"
    );
    assert_eq!(
        a55["numbers"]["waiting"], 2,
        "the copy is no waiting job of ours: {a55}"
    );
    let alike = &plan["look_alikes"][0];
    assert_eq!(alike["object"], "job");
    assert!(
        alike["name"]
            .as_str()
            .unwrap()
            .ends_with(&format!("on {free}")),
        "{alike}"
    );
    assert!(
        alike["reason"].as_str().unwrap().contains("not valid"),
        "{alike}"
    );
    let starts: Vec<&str> = (a55["starts"].as_array().unwrap().iter())
        .map(|s| s["udid"].as_str().unwrap())
        .collect();
    assert!(
        !starts.contains(&free),
        "a device a look-alike names was started on"
    );
    // Not listed by the text plan either way round: it says what it left alone.
    let text = lab
        .command(&["plan", lab.config_arg()])
        .env("OWN_KEY", KEY)
        .run();
    assert!(
        text.stdout
            .contains("Look-alikes (not proven this fleet's; left alone):"),
        "{}",
        text.stdout
    );
    assert!(
        !text.stdout.contains(KEY) && !text.stderr.contains(KEY),
        "the key was printed"
    );
}

#[test]
fn a_foreign_testflinger_job_with_our_tags_is_not_our_deploy() {
    let lab = RackLab::new();
    // Another team's job on host-01, tagged as devicepool tagged its deploys before fleets.
    let foreign = lab.submit("host-01");
    // A named fleet takes it for one made before fleets; a key for one without a MAC. Either
    // way it is listed, never our cadence, and host-01 is not deployed behind it.
    let plan = plan_racks_owned(&lab);
    for (settings, plan) in &plan {
        let deploys = deployed_agents(plan);
        assert!(
            !deploys.contains(&"host-01".to_string()),
            "{settings}: host-01 was deployed behind a queued look-alike: {deploys:?}"
        );
        let host_01 = (plan["racks"][0]["machines"].as_array().unwrap().iter())
            .find(|m| m["hostname"] == "host-01")
            .unwrap();
        assert_eq!(host_01["state"], "in_flight", "{settings}: {host_01}");
        let detail = host_01["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("look-alike job {foreign} (not proven ours)")),
            "{settings}: {detail}"
        );
        assert!(
            host_01.get("last_deploy").is_none_or(|l| l.is_null()),
            "{settings}: its outcome was reported as ours: {host_01}"
        );
        assert!(listed(plan, "host-01"), "{settings}: {plan}");
    }
    // Once it has ended it holds nothing and is no longer listed; it never set the cadence.
    lab.fleet.testflinger.advance_job(&foreign, "provision");
    lab.fleet
        .testflinger
        .complete_job(&foreign, &[("provision", 0)]);
    for (settings, plan) in &plan_racks_owned(&lab) {
        assert!(
            deployed_agents(plan).contains(&"host-01".to_string()),
            "{settings}: the foreign job set the cadence"
        );
        assert!(
            !listed(plan, "host-01"),
            "{settings}: an ended job is listed"
        );
    }
}

/// The JSON plan of `lab`'s racks for a named fleet, then for a key, with their settings.
fn plan_racks_owned(lab: &RackLab) -> Vec<(&'static str, serde_json::Value)> {
    let yaml = std::fs::read_to_string(&lab.config).unwrap();
    let config = lab.config.with_file_name("owned.yaml");
    ["  fleet: lab-a\n", "  ownership_key_env: OWN_KEY\n"]
        .into_iter()
        .map(|settings| {
            let owned = yaml.replacen("settings:\n", &format!("settings:\n{settings}"), 1);
            std::fs::write(&config, owned).unwrap();
            let out = lab
                .command(&["plan", config.to_str().unwrap(), "--format", "json"])
                .env("OWN_KEY", KEY)
                .run();
            assert_eq!(out.code, 0, "{out:?}");
            (settings, out.json())
        })
        .collect()
}

fn deployed_agents(plan: &serde_json::Value) -> Vec<String> {
    (plan["racks"][0]["deploys"].as_array().unwrap().iter())
        .map(|d| d["agent"].as_str().unwrap().to_string())
        .collect()
}

/// True when the plan lists a look-alike deploy on `agent`.
fn listed(plan: &serde_json::Value, agent: &str) -> bool {
    (plan["look_alikes"].as_array().into_iter().flatten()).any(|l| {
        l["object"] == "deploy"
            && l["name"]
                .as_str()
                .unwrap()
                .ends_with(&format!("on {agent}"))
    })
}

#[test]
fn a_fleet_name_that_cannot_be_a_label_is_refused_at_its_line_before_any_request() {
    let lab = Lab::new(vec![pool("a55", 1, 1)]);
    let yaml = lab
        .config_yaml()
        .replacen("settings:\n", "settings:\n  fleet: \"lab a\"\n", 1);
    std::fs::write(&lab.config, yaml).unwrap();
    let out = lab.run(&["plan", lab.config_arg()]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("devicepool.yaml:3:"), "{}", out.stderr);
    assert!(out.stderr.contains("settings.fleet"), "{}", out.stderr);
    assert!(lab.requests().is_empty(), "a request was sent");
}

#[test]
fn a_look_alike_job_holds_its_device_until_it_ends_or_is_stuck_and_only_unended_ones_are_listed() {
    // Jobs made before fleets, seen by a named fleet: device 1's initiated 90 minutes ago
    // (past stuck_after), device 2's 10 minutes ago, device 3's long completed; 3 pending.
    let mut lab = Lab::new(vec![pool("a55", 3, 3)]);
    lab.set_lambdatest_extra("    stuck_after: 1h\n");
    let now = jiff::Timestamp::now();
    for (device, status, minutes) in [
        (1, "initiated", 90),
        (2, "initiated", 10),
        (3, "completed", 600),
    ] {
        let labels = vec!["tcdp".to_string(), "a55".to_string(), udid("a55", device)];
        let created = now - jiff::SignedDuration::from_mins(minutes);
        lab.fleet.lambdatest.add_job(Some(labels), status, created);
    }
    let yaml = lab
        .config_yaml()
        .replacen("settings:\n", "settings:\n  fleet: lab-b\n", 1);
    std::fs::write(&lab.config, yaml).unwrap();
    let out = lab.run(&["plan", lab.config_arg(), "--format", "json"]);
    assert_eq!(out.code, 0, "{out:?}");
    let plan = out.json();
    let starts: Vec<&str> = (pool_of(&plan, "a55")["starts"].as_array().unwrap().iter())
        .map(|s| s["udid"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [udid("a55", 1), udid("a55", 3)],
        "the stuck look-alike held device 1, or device 2 was started on behind one waiting"
    );
    let listed: Vec<&str> = (plan["look_alikes"].as_array().unwrap().iter())
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        !listed.iter().any(|n| n.ends_with(&udid("a55", 3))),
        "an ended look-alike is listed: {listed:?}"
    );
}

#[test]
fn render_shows_the_ownership_mac_apply_sends() {
    let lab = keyed_lab(pool("a55", 1, 1));
    let rendered = lab
        .command(&["render", lab.config_arg(), "--pool", "a55"])
        .env("OWN_KEY", KEY)
        .run();
    assert_eq!(rendered.code, 0, "{rendered:?}");
    assert!(!rendered.stdout.contains(KEY), "the key was printed");
    let out = lab
        .command(&["apply", lab.config_arg()])
        .env("OWN_KEY", KEY)
        .run();
    assert_eq!(out.code, 0, "{out:?}");
    let labels = lab.fleet.lambdatest.launches()[0].labels.clone().unwrap();
    let mac = labels.iter().find(|l| l.starts_with("mac:")).unwrap();
    assert!(
        rendered.stdout.contains(mac.as_str()),
        "render shows labels without the {mac} apply sends:\n{}",
        rendered.stdout
    );
}
