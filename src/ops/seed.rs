//! Fills the simulated fleet for a desired state, and names the credentials it accepts by the
//! environment variables that desired state reads them from. Only control calls on the fakes
//! (no request, no planning); `demo` adds its own scenario on the same building blocks.

use std::collections::BTreeMap;

use devicepool_sim::testflinger::SIM_CLIENT_SECRET;
use devicepool_sim::{Fleet, SIM_ACCESS_KEY, SIM_USERNAME};

use crate::load::{Desired, DevicePool, Rack, RunnerPool};
use crate::reconcilers::PerKind;

/// Machines (each with its agent) put in every rack by [`seed`].
const MACHINES_PER_RACK: u32 = 3;
/// Pending GitLab jobs put in every project of a runner pool by [`seed`].
const JOBS_PER_PROJECT: usize = 2;

/// A busy but healthy fleet for `desired`: every listed UDID (of a pool or a group) an active
/// device and as many pending tasks as the pool's (or its group's) devices on each task queue; per rack, machines `<rack>-01`.. carrying its
/// MAAS tags, each with a waiting Testflinger agent; per runner pool, its image and pending
/// jobs with its tags in each of its projects.
pub(super) fn seed(fleet: &Fleet, desired: &Desired) {
    let PerKind {
        device_pools,
        racks,
        runner_pools,
    } = desired.kinds();
    for pool in device_pools.values() {
        let group = pool
            .group
            .as_ref()
            .and_then(|g| desired.device_groups.get(g));
        let pending = group.map_or(&pool.devices, |g| &g.devices).len() as u64;
        device_pool(fleet, pool, "Simulated device", pending, 0);
    }
    for group in desired.device_groups.values() {
        for udid in &group.devices {
            fleet
                .lambdatest
                .add_device(udid, "Simulated device", "active");
        }
    }
    for (name, rack_spec) in racks {
        rack(fleet, name, rack_spec, MACHINES_PER_RACK, |_| {
            Some("waiting")
        });
    }
    for pool in runner_pools.values() {
        runner_pool(fleet, pool);
    }
    if let Some(source) = &desired.sources.testflinger
        && let Some(client_id) = &source.client_id
    {
        fleet
            .testflinger
            .add_client(client_id, SIM_CLIENT_SECRET, "contributor");
    }
}

/// Every device of `pool` on LambdaTest as `model` (the first `busy` busy, the others active)
/// and `pending` tasks (3 claimed) on its task queue.
pub(super) fn device_pool(
    fleet: &Fleet,
    pool: &DevicePool,
    model: &str,
    pending: u64,
    busy: usize,
) {
    fleet.taskcluster.set_counts(&pool.task_queue, pending, 3);
    for (i, udid) in pool.devices.iter().enumerate() {
        let status = if i < busy { "busy" } else { "active" };
        fleet.lambdatest.add_device(udid, model, status);
    }
}

/// MAAS machines `<name>-01`..`<name>-<machines>`, Deployed and carrying the rack's tags, each
/// with a Testflinger agent of the same name in the state `agent` gives for its number (no
/// agent for `None`), at the rack's location, after four passed provisionings.
pub(super) fn rack(
    fleet: &Fleet,
    name: &str,
    rack: &Rack,
    machines: u32,
    agent: impl Fn(u32) -> Option<&'static str>,
) {
    // A standing fleet's Testflinger keeps wall-clock time, as the real server does: a job's
    // age (against the rack's `stuck_after` and `every`) is then what devicepool sees.
    let testflinger = &fleet.testflinger;
    let behind = jiff::Timestamp::now().duration_since(testflinger.now());
    if behind.is_positive() {
        testflinger.advance_clock(behind.as_secs());
    }
    let tags: Vec<&str> = rack.maas_tags.iter().map(String::as_str).collect();
    let location = rack.agent_location.as_deref().unwrap_or("sim-lab");
    for i in 1..=machines {
        let host = format!("{name}-{i:02}");
        fleet.maas.add_machine(&host, &tags, "Deployed");
        if let Some(state) = agent(i) {
            let streak = Some(("pass", 4));
            fleet
                .testflinger
                .add_agent(&host, state, &[&host], location, streak);
        }
    }
}

/// The pool's image on Docker and [`JOBS_PER_PROJECT`] pending jobs with exactly its tags in
/// each of its projects.
fn runner_pool(fleet: &Fleet, pool: &RunnerPool) {
    fleet.docker.add_image(&pool.image);
    let tags: Vec<&str> = pool.tags.iter().map(String::as_str).collect();
    for project in &pool.projects {
        for _ in 0..JOBS_PER_PROJECT {
            fleet.gitlab.add_pending_job(project, &tags);
        }
    }
}

/// The simulated credentials by the variable names `desired` reads them from (the defaults
/// `LT_USERNAME`, `LT_ACCESS_KEY`, `MAAS_API_KEY` and `GITLAB_TOKEN` for a source it does not
/// configure, or without a desired state). Sim-only values, safe to show.
pub(super) fn credentials(fleet: &Fleet, desired: Option<&Desired>) -> BTreeMap<String, String> {
    let sources = desired.map(|d| &d.sources);
    let lambdatest = sources.and_then(|s| s.lambdatest.as_ref());
    let mut env = BTreeMap::from([
        (
            lambdatest
                .map_or("LT_USERNAME", |lt| &lt.username_env)
                .to_string(),
            SIM_USERNAME.to_string(),
        ),
        (
            lambdatest
                .map_or("LT_ACCESS_KEY", |lt| &lt.access_key_env)
                .to_string(),
            SIM_ACCESS_KEY.to_string(),
        ),
        (
            sources
                .and_then(|s| s.maas.as_ref())
                .and_then(|m| m.api_key_env.as_deref())
                .unwrap_or("MAAS_API_KEY")
                .to_string(),
            fleet.maas.api_key(),
        ),
        (
            sources
                .and_then(|s| s.gitlab.as_ref())
                .and_then(|g| g.token_env.as_deref())
                .unwrap_or("GITLAB_TOKEN")
                .to_string(),
            fleet.gitlab.admin_token(),
        ),
    ]);
    if let Some(name) = sources
        .and_then(|s| s.testflinger.as_ref())
        .and_then(|tf| tf.client_secret_env.clone())
    {
        env.insert(name, SIM_CLIENT_SECRET.to_string());
    }
    // Pools that read their token from a file are given none here.
    for pool in desired.iter().flat_map(|d| d.device_pools.values()) {
        if let Some(name) = &pool.access_token_env {
            env.insert(name.clone(), format!("sim-token-{}", name.to_lowercase()));
        }
    }
    env
}
