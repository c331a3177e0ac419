//! A fake LambdaTest (HyperExecute jobs API + private-cloud devices API) on one loopback server.
//! Device availability is driven by the job model; jobs are registered by the fake CLI through
//! the sim-only `POST /__sim/launch`. Must stay as strict as the real API (Basic auth everywhere).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::{SignedDuration, Timestamp};

use super::server::SimServer;

/// The username the fake accepts.
pub const SIM_USERNAME: &str = "sim-user";
/// The access key the fake accepts.
pub const SIM_ACCESS_KEY: &str = "sim-key-7b1e2c9d4f";

/// A HyperExecute job as the fake knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimJob {
    pub id: String,
    pub job_number: u64,
    pub status: String,
    /// `None` = started without labels (`job_label` is null); `Some([])` = empty string.
    pub labels: Option<Vec<String>>,
    pub created_at: Timestamp,
    pub end_time: Option<Timestamp>,
    /// The device the job is pinned to (`framework.args.fixedIP`), when launched by the CLI.
    pub fixed_ip: Option<String>,
}

impl SimJob {
    /// True when the job is pinned to `udid` (by fixedIP, or by a label equal to the udid).
    fn pins(&self, udid: &str) -> bool {
        self.pinned().any(|x| x == udid)
    }

    /// Every UDID the job pins: its `fixedIP` and each of its labels.
    fn pinned(&self) -> impl Iterator<Item = &str> {
        let labels = self.labels.iter().flatten().map(String::as_str);
        self.fixed_ip.as_deref().into_iter().chain(labels)
    }
}

pub(super) struct Device {
    pub(super) udid: String,
    pub(super) name: String,
    pub(super) status: String,
}

pub(super) struct State {
    pub(super) devices: Vec<Device>,
    pub(super) jobs: Vec<SimJob>,
    pub(super) launches: Vec<String>,
    pub(super) seed: u64,
    /// The fake's clock once set ([`LambdatestSim::set_clock`]); the real time until then.
    pub(super) clock: Option<Timestamp>,
    /// Jobs whose generic-worker has claimed its task (see `job_timing`).
    pub(super) claimed: std::collections::BTreeSet<String>,
}

impl State {
    /// The fake's time: its clock once set, the real time until then.
    pub(super) fn now(&self) -> Timestamp {
        self.clock.unwrap_or_else(Timestamp::now)
    }
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake LambdaTest: both API hosts on one base URL.
pub struct LambdatestSim {
    server: SimServer,
    state: Arc<Mutex<State>>,
}

impl LambdatestSim {
    /// Starts with no devices and no jobs.
    pub fn start() -> std::io::Result<LambdatestSim> {
        let seed = Timestamp::now().as_nanosecond() as u64;
        let state = Arc::new(Mutex::new(State {
            devices: Vec::new(),
            jobs: Vec::new(),
            launches: Vec::new(),
            seed,
            clock: None,
            claimed: std::collections::BTreeSet::new(),
        }));
        let server = SimServer::start(Arc::new(super::lambdatest_routes::Handler(Arc::clone(
            &state,
        ))))?;
        Ok(LambdatestSim { server, state })
    }

    /// Base URL serving both `api.hyperexecute.cloud` and `mobile-api.lambdatest.com` routes.
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The underlying server (request log, fault injection).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// Adds a private-cloud device with a configured status (`active`, `busy`, `cleanup`, ...).
    pub fn add_device(&self, udid: &str, name: &str, status: &str) {
        lock(&self.state).devices.push(Device {
            udid: udid.into(),
            name: name.into(),
            status: status.into(),
        });
    }

    /// Changes a device's configured status (a running job still shows it `busy`).
    pub fn set_device_status(&self, udid: &str, status: &str) {
        let mut state = lock(&self.state);
        if let Some(d) = state.devices.iter_mut().find(|d| d.udid == udid) {
            d.status = status.into();
        }
    }

    /// Adds a job directly (as if started earlier); returns its id.
    pub fn add_job(
        &self,
        labels: Option<Vec<String>>,
        status: &str,
        created_at: Timestamp,
    ) -> String {
        let mut state = lock(&self.state);
        insert_job(&mut state, labels, None, status, created_at).id
    }

    /// Changes a job's status; terminal statuses set `end_time`.
    pub fn set_job_status(&self, id: &str, status: &str) {
        let mut state = lock(&self.state);
        let now = state.now();
        if let Some(j) = state.jobs.iter_mut().find(|j| j.id == id) {
            j.status = status.into();
            j.end_time = (!is_active(status)).then_some(now);
        }
    }

    /// The fake's time: the real time until [`LambdatestSim::set_clock`] fixes it.
    pub fn now(&self) -> Timestamp {
        lock(&self.state).now()
    }

    /// Fixes the fake's clock at `at` (launched jobs are created then); it moves only when
    /// stepped ([`crate::Fleet::step_jobs`]).
    pub fn set_clock(&self, at: Timestamp) {
        lock(&self.state).clock = Some(at);
    }

    /// Moves every `initiated` job whose device is `active` to `running`; returns how many.
    pub fn start_initiated_jobs(&self) -> usize {
        start_jobs(&mut lock(&self.state), |_| true)
    }

    /// Moves the jobs on to `now`: an `initiated` job at least `runs_after` old whose device
    /// is `active` runs; a running job at least `claims_after` old that has not claimed its
    /// task claims it now. Returns the device of each job that claimed, in job order.
    pub(crate) fn advance_jobs(
        &self,
        now: Timestamp,
        (runs_after, claims_after): (SignedDuration, SignedDuration),
    ) -> Vec<String> {
        let mut state = lock(&self.state);
        state.clock = Some(now);
        start_jobs(&mut state, |job| {
            now.duration_since(job.created_at) >= runs_after
        });
        let due: Vec<(String, String)> = (state.jobs.iter())
            .filter(|j| j.status == "running" && !state.claimed.contains(&j.id))
            .filter(|j| now.duration_since(j.created_at) >= claims_after)
            .filter_map(|j| Some((j.id.clone(), j.fixed_ip.clone()?)))
            .collect();
        let mut claiming = Vec::new();
        for (id, udid) in due {
            state.claimed.insert(id);
            claiming.push(udid);
        }
        claiming
    }

    #[cfg(test)]
    pub(crate) fn state(&self) -> &Mutex<State> {
        &self.state
    }

    /// Every job, oldest first.
    pub fn jobs(&self) -> Vec<SimJob> {
        lock(&self.state).jobs.clone()
    }

    /// Jobs registered through `POST /__sim/launch`, in launch order.
    pub fn launches(&self) -> Vec<SimJob> {
        let state = lock(&self.state);
        let by_id = |id: &String| state.jobs.iter().find(|j| &j.id == id).cloned();
        state.launches.iter().filter_map(by_id).collect()
    }
}

/// Moves each `initiated` job that `due` lets through, and whose device is `active`, to
/// `running`; returns how many.
fn start_jobs(state: &mut State, due: impl Fn(&SimJob) -> bool) -> usize {
    let mut started = 0;
    for i in 0..state.jobs.len() {
        let job = &state.jobs[i];
        let free = state
            .devices
            .iter()
            .find(|d| job.pins(&d.udid))
            .is_some_and(|d| device_status(state, d) == "active");
        if free && job.status == "initiated" && due(job) {
            state.jobs[i].status = "running".into();
            started += 1;
        }
    }
    started
}

pub(super) fn is_active(status: &str) -> bool {
    status == "initiated" || status == "running"
}

pub(super) fn insert_job(
    state: &mut State,
    labels: Option<Vec<String>>,
    fixed_ip: Option<String>,
    status: &str,
    created_at: Timestamp,
) -> SimJob {
    let job_number = state
        .jobs
        .iter()
        .map(|j| j.job_number)
        .max()
        .unwrap_or(1000)
        + 1;
    let job = SimJob {
        id: next_uuid(&mut state.seed),
        job_number,
        status: status.into(),
        labels,
        created_at,
        end_time: (!is_active(status)).then_some(created_at),
        fixed_ip,
    };
    state.jobs.push(job.clone());
    job
}

/// A random-looking v4 UUID from a splitmix64 stream.
pub(super) fn next_uuid(seed: &mut u64) -> String {
    let mut next = || {
        *seed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let (a, b) = (next(), next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48) & 0x3fff,
        b & 0xffff_ffff_ffff
    )
}

/// Every UDID a running job pins, collected once for a listing of many devices.
pub(super) fn busy_udids(state: &State) -> std::collections::BTreeSet<&str> {
    let running = state.jobs.iter().filter(|j| j.status == "running");
    running.flat_map(SimJob::pinned).collect()
}

pub(super) fn device_status<'a>(state: &State, d: &'a Device) -> &'a str {
    let running = state
        .jobs
        .iter()
        .any(|j| j.status == "running" && j.pins(&d.udid));
    if running { "busy" } else { &d.status }
}
