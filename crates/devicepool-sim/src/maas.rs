//! A fake MAAS 2.0 region (machines listing and single machines) on a loopback server, with the
//! real `status` ↔ `status_name` table and strict OAuth 1.0a PLAINTEXT checks. It must not be
//! kinder than MAAS: no anonymous reads, unknown tags and bad filters fail.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::server::SimServer;

/// The API key the fake accepts, `consumer_key:token_key:token_secret` (MAAS key lengths).
pub const SIM_MAAS_API_KEY: &str =
    "SimConsumerKey0001:SimTokenKey0000001:SimTokenSecret000000000000000001";

/// MAAS node statuses: (`status` int, `status_name` display label, short filter label).
pub(super) const STATUSES: [(u8, &str, &str); 23] = [
    (0, "New", "new"),
    (1, "Commissioning", "commissioning"),
    (2, "Failed commissioning", "failed_commissioning"),
    (3, "Missing", "missing"),
    (4, "Ready", "ready"),
    (5, "Reserved", "reserved"),
    (6, "Deployed", "deployed"),
    (7, "Retired", "retired"),
    (8, "Broken", "broken"),
    (9, "Deploying", "deploying"),
    (10, "Allocated", "allocated"),
    (11, "Failed deployment", "failed_deployment"),
    (12, "Releasing", "releasing"),
    (13, "Releasing failed", "failed_releasing"),
    (14, "Disk erasing", "disk_erasing"),
    (15, "Failed disk erasing", "failed_disk_erasing"),
    (16, "Rescue mode", "rescue_mode"),
    (17, "Entering rescue mode", "entering_rescue_mode"),
    (
        18,
        "Failed to enter rescue mode",
        "failed_entering_rescue_mode",
    ),
    (19, "Exiting rescue mode", "exiting_rescue_mode"),
    (
        20,
        "Failed to exit rescue mode",
        "failed_exiting_rescue_mode",
    ),
    (21, "Testing", "testing"),
    (22, "Failed testing", "failed_testing"),
];

/// The `status` int of a display label such as `"Failed deployment"` (exact case).
pub fn status_code(status_name: &str) -> Option<u8> {
    STATUSES
        .iter()
        .find(|(_, name, _)| *name == status_name)
        .map(|(code, _, _)| *code)
}

/// A machine as the fake knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimMachine {
    /// Database id: the listing is sorted by it.
    pub id: u64,
    pub system_id: String,
    pub hostname: String,
    pub tags: Vec<String>,
    pub status: u8,
    pub zone: String,
    pub pool: String,
}

pub(super) struct State {
    pub(super) machines: Vec<SimMachine>,
    /// Tags defined in MAAS (a tag can exist with no machine).
    pub(super) tags: BTreeSet<String>,
    /// `(token, nonce)` pairs already used: MAAS refuses a nonce twice.
    pub(super) nonces: BTreeSet<(String, String)>,
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The fake MAAS: control methods here, HTTP on `url()`.
pub struct MaasSim {
    server: SimServer,
    state: Arc<Mutex<State>>,
}

impl MaasSim {
    /// Starts a region with no machines and no tags.
    pub fn start() -> std::io::Result<MaasSim> {
        let state = Arc::new(Mutex::new(State {
            machines: Vec::new(),
            tags: BTreeSet::new(),
            nonces: BTreeSet::new(),
        }));
        let handler = super::maas_routes::Handler(Arc::clone(&state));
        let server = SimServer::start(Arc::new(handler))?;
        Ok(MaasSim { server, state })
    }

    /// The MAAS URL as operators configure it, e.g. `http://127.0.0.1:40123/MAAS`.
    pub fn url(&self) -> String {
        format!("{}/MAAS", self.server.url())
    }

    /// The underlying server (request log, fault injection).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// The API key (`consumer_key:token_key:token_secret`) the fake accepts.
    pub fn api_key(&self) -> String {
        SIM_MAAS_API_KEY.to_string()
    }

    /// Defines a tag (machines' tags are defined automatically).
    pub fn add_tag(&self, name: &str) {
        lock(&self.state).tags.insert(name.to_string());
    }

    /// Adds a machine in zone and pool `default`; returns its system_id.
    /// Panics on a `status_name` that is not in MAAS's table (a broken test fixture).
    pub fn add_machine(&self, hostname: &str, tags: &[&str], status_name: &str) -> String {
        let status = status_code(status_name)
            .unwrap_or_else(|| panic!("not a MAAS status_name: {status_name:?}"));
        let mut state = lock(&self.state);
        let id = state.machines.len() as u64 + 1;
        let system_id = system_id(id);
        state.tags.extend(tags.iter().map(|t| t.to_string()));
        state.machines.push(SimMachine {
            id,
            system_id: system_id.clone(),
            hostname: hostname.to_string(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            status,
            zone: "default".into(),
            pool: "default".into(),
        });
        system_id
    }

    /// Changes a machine's status by display label. Panics on an unknown label or hostname.
    pub fn set_machine_status(&self, hostname: &str, status_name: &str) {
        let status = status_code(status_name)
            .unwrap_or_else(|| panic!("not a MAAS status_name: {status_name:?}"));
        let mut state = lock(&self.state);
        let machine = state
            .machines
            .iter_mut()
            .find(|m| m.hostname == hostname)
            .unwrap_or_else(|| panic!("no machine {hostname:?}"));
        machine.status = status;
    }

    /// Takes `tag` off a machine, as `POST /tags/<tag>/?op=update_nodes` with `remove=` would.
    /// Panics on an unknown hostname.
    pub fn remove_machine_tag(&self, hostname: &str, tag: &str) {
        let mut state = lock(&self.state);
        let machine = (state.machines.iter_mut())
            .find(|m| m.hostname == hostname)
            .unwrap_or_else(|| panic!("no machine {hostname:?}"));
        machine.tags.retain(|t| t != tag);
    }

    /// Every machine, in id order.
    pub fn machines(&self) -> Vec<SimMachine> {
        lock(&self.state).machines.clone()
    }
}

/// A six-character system_id like MAAS's (lowercase letters and digits), unique per id.
fn system_id(id: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxy3456789";
    let mut n = id.wrapping_mul(0x9E37_79B9) % 594_823_321; // < 29^6
    (0..6)
        .map(|_| {
            let c = ALPHABET[(n % 29) as usize] as char;
            n /= 29;
            c
        })
        .collect()
}

#[cfg(test)]
#[path = "maas_tests.rs"]
mod tests;
