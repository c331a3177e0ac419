//! A fleet of every kind for the dashboard test: device pools, a rack and runner pools in one
//! desired state, each with work waiting, one pool held (its Taskcluster queue answers 500),
//! one disabled, and a runner pool whose schedule period is in effect. Arranges the fakes and
//! runs the binary; asserts nothing itself.

use devicepool_sim::Fault;
use jiff::SignedDuration;

use crate::racks::submit_deploy;
use crate::runners::IMAGE;
use crate::support::{Invocation, Lab, pool, queue_of};

/// Every pool of the fleet by kind, as the metrics' `kind` label names it.
pub(crate) const POOLS: [(&str, &[&str]); 3] = [
    ("device_pool", &["a55", "p9"]),
    ("rack", &["rack-a"]),
    ("runner_pool", &["autogit", "spare"]),
];

/// The device pool held in every run: its task queue answers 500.
pub(crate) const HELD: (&str, &str) = ("device_pool", "p9");

/// The runner pool switched off in the desired state.
pub(crate) const DISABLED: (&str, &str) = ("runner_pool", "spare");

/// The period `autogit`'s schedule has in effect at any time, as the metrics label it.
pub(crate) const AUTOGIT_PERIOD: &str = "period 1 (cron \"* * * * *\" in UTC)";

/// Machines of `rack-a`, all waiting in TOR3 and deployed by us 7 hours ago (every 6h: due
/// for an hour); a run deploys one, so some stay due whatever the runs did.
const MACHINES: [&str; 4] = ["host-01", "host-02", "host-03", "host-04"];

/// The sources and pools added to a device-pool lab's desired state (`{maas}` and the like
/// stand for the fakes' URLs).
const MORE: &str = "  maas:
    url: {maas}
    api_key_env: MAAS_API_KEY
  testflinger:
    url: {testflinger}
  gitlab:
    url: {gitlab}
    token_env: GITLAB_TOKEN
  docker:
    host: {docker}
device_pools:
";

const RACKS_AND_RUNNERS: &str = "racks:
  rack-a:
    maas_tags: [rack-a]
    agent_location: TOR3
    every: 6h
    max_deploys_per_run: 1
    provision_data: {distro: noble}
runner_pools:
  autogit:
    tags: [autogit, docker]
    projects: [group/app]
    image: {image}
    max_runners: 4
    schedule:
      - cron: '* * * * *'
        set: {min_idle: 1}
  spare:
    tags: [spare]
    projects: [group/app]
    image: {image}
    disabled: true
";

/// The device-pool lab with the rest of the fleet arranged in its fakes and its desired state.
pub(crate) fn mixed_lab() -> Lab {
    let lab = Lab::new(vec![pool("a55", 3, 0), pool("p9", 2, 1)]);
    let fleet = &lab.fleet;
    let now = fleet.testflinger.now();
    // Every fake on the Testflinger fake's clock, which the run takes as its own.
    fleet.lambdatest.set_clock(now);
    let gitlab_behind = now.duration_since(fleet.gitlab.now()).as_secs();
    fleet.gitlab.advance_clock(gitlab_behind - 600);
    // a55: two tasks pending for half an hour; p9: held.
    for _ in 0..2 {
        let inserted = now - SignedDuration::from_mins(30);
        fleet
            .taskcluster
            .add_pending_task(&queue_of("a55"), inserted);
    }
    let p9_queue = format!("/api/queue/v1/task-queues/{}", queue_of("p9"));
    fleet
        .taskcluster
        .server()
        .inject("GET", &p9_queue, Fault::status(500));
    // rack-a: every machine deployed 7 hours ago.
    fleet.testflinger.advance_clock(-7 * 3600);
    for host in MACHINES {
        fleet.maas.add_machine(host, &["rack-a"], "Deployed");
        let streak = Some(("pass", 3));
        (fleet.testflinger).add_agent(host, "waiting", &[host], "TOR3", streak);
        let old = submit_deploy(fleet, host);
        fleet.testflinger.advance_job(&old, "provision");
        fleet.testflinger.complete_job(&old, &[("provision", 0)]);
    }
    fleet.testflinger.advance_clock(7 * 3600);
    // autogit: one matching job pending for ten minutes; the runners it starts come up.
    fleet.docker.add_image(IMAGE);
    fleet.run_runner_containers();
    fleet
        .gitlab
        .add_pending_job("group/app", &["autogit", "docker"]);
    fleet.gitlab.advance_clock(600);
    let more = MORE
        .replace("{maas}", &fleet.maas.url())
        .replace("{testflinger}", &fleet.testflinger.url())
        .replace("{gitlab}", &fleet.gitlab.url())
        .replace("{docker}", &fleet.docker.host());
    let yaml = lab
        .config_yaml()
        .replacen("settings:\n", "settings:\n  state_dir: state\n", 1)
        .replacen("device_pools:\n", &more, 1)
        + &RACKS_AND_RUNNERS.replace("{image}", IMAGE);
    std::fs::write(&lab.config, yaml).unwrap();
    lab
}

/// The binary in `lab` with every credential of the mixed fleet and its clock.
pub(crate) fn mixed_command(lab: &Lab, args: &[&str]) -> Invocation {
    let fleet = &lab.fleet;
    lab.command(args)
        .env_remove("DOCKER_HOST")
        .env("MAAS_API_KEY", fleet.maas.api_key())
        .env("GITLAB_TOKEN", fleet.gitlab.admin_token())
        .env("DEVICEPOOL_SIM_CLOCK", fleet.testflinger.now().to_string())
}
