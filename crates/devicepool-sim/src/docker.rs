//! A fake Docker Engine daemon on a unix socket in its own temp dir: containers (list with
//! filters, create, start, remove) and the images it knows. Tests and the demo steer it
//! through the methods here; it must not be kinder than dockerd (version checks against a
//! configurable range, 409s, 404s).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use super::server::SimServer;

/// The API versions a Docker Engine 29.0 daemon accepts by default: 1.44 (its raised minimum)
/// to 1.52 (its own).
pub const DEFAULT_MIN_API_VERSION: &str = "1.44";
pub const DEFAULT_API_VERSION: &str = "1.52";

/// The fake daemon's clock start (unix seconds); each container is created one second later.
const EPOCH: i64 = 1_788_264_000;

/// A container as the fake knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimContainer {
    /// 64 hex characters.
    pub id: String,
    /// Without the leading `/`.
    pub name: String,
    pub image: String,
    pub labels: BTreeMap<String, String>,
    /// `created`, `running`, `paused`, `restarting`, `exited` or `dead`.
    pub state: String,
    /// Unix seconds.
    pub created: i64,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    /// `HostConfig` as sent to create (Null for containers added by a test).
    pub host_config: Value,
}

impl SimContainer {
    /// Running in Docker's sense (running, paused or restarting).
    pub fn is_running(&self) -> bool {
        matches!(self.state.as_str(), "running" | "paused" | "restarting")
    }
}

pub(super) struct State {
    /// The API versions the daemon accepts: its minimum and its newest (the default for
    /// unversioned paths), `major.minor`.
    pub(super) api_versions: (String, String),
    pub(super) containers: Vec<SimContainer>,
    /// Normalised references (`name:tag`) of pulled images.
    pub(super) images: BTreeSet<String>,
    /// Called with each container the API starts (what runs in it, if anything).
    pub(super) on_start: Option<OnStart>,
    serial: u64,
}

/// What starting a container sets off, beyond its state: see [`DockerSim::on_start`].
pub type OnStart = Box<dyn Fn(&SimContainer) + Send>;

impl State {
    /// A fresh 64-hex id and creation time.
    pub(super) fn next_id(&mut self) -> (String, i64) {
        self.serial += 1;
        let mut x = self.serial;
        let id = (0..4)
            .map(|_| {
                // splitmix64: distinct, random-looking ids from a counter.
                x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = x;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                format!("{:016x}", z ^ (z >> 31))
            })
            .collect();
        (id, EPOCH + self.serial as i64)
    }
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `name` → `name:latest`; `docker.io/` and `library/` dropped, as Docker normalises them.
pub(super) fn normalise_image(reference: &str) -> String {
    let r = reference.strip_prefix("docker.io/").unwrap_or(reference);
    let r = r.strip_prefix("library/").unwrap_or(r);
    let last = r.rsplit('/').next().unwrap_or(r);
    if last.contains(':') || r.contains('@') {
        r.to_string()
    } else {
        format!("{r}:latest")
    }
}

/// The fake daemon: control methods here, HTTP on `socket_path()`.
pub struct DockerSim {
    // Declared before `dir`: the server (and its socket) goes first.
    server: SimServer,
    state: Arc<Mutex<State>>,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl DockerSim {
    /// Starts a daemon with no containers and no images on `<tempdir>/docker.sock`.
    pub fn start() -> std::io::Result<DockerSim> {
        let dir = tempfile::Builder::new()
            .prefix("devicepool-docker")
            .tempdir()?;
        let socket = dir.path().join("docker.sock");
        let state = Arc::new(Mutex::new(State {
            api_versions: (
                DEFAULT_MIN_API_VERSION.to_string(),
                DEFAULT_API_VERSION.to_string(),
            ),
            containers: Vec::new(),
            images: BTreeSet::new(),
            on_start: None,
            serial: 0,
        }));
        let handler = super::docker_routes::Handler(Arc::clone(&state));
        let server = SimServer::start_unix(Arc::new(handler), &socket)?;
        Ok(DockerSim {
            server,
            state,
            socket,
            _dir: dir,
        })
    }

    pub fn socket_path(&self) -> PathBuf {
        self.socket.clone()
    }

    /// `unix:///path/to/docker.sock`, as `DOCKER_HOST` spells it.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket.display())
    }

    /// The underlying server (request log, fault injection).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// The daemon now accepts API versions `min` to `newest` (`major.minor`), as a daemon of
    /// another release (or one started with `DOCKER_MIN_API_VERSION`) would.
    pub fn set_api_versions(&self, min: &str, newest: &str) {
        lock(&self.state).api_versions = (min.to_string(), newest.to_string());
    }

    /// From now on, `hook` runs with each container `POST /containers/{id}/start` starts
    /// (under the daemon's lock: it must not call back into this fake). None by default.
    pub fn on_start(&self, hook: OnStart) {
        lock(&self.state).on_start = Some(hook);
    }

    /// Every container, in creation order.
    pub fn containers(&self) -> Vec<SimContainer> {
        lock(&self.state).containers.clone()
    }

    /// Marks an image as pulled (create refuses unknown images with 404, as dockerd does).
    pub fn add_image(&self, reference: &str) {
        lock(&self.state).images.insert(normalise_image(reference));
    }

    /// Adds a container in `state` (its image becomes known); returns its id.
    pub fn add_container(
        &self,
        name: &str,
        image: &str,
        labels: &[(&str, &str)],
        state: &str,
    ) -> String {
        let mut st = lock(&self.state);
        st.images.insert(normalise_image(image));
        let (id, created) = st.next_id();
        st.containers.push(SimContainer {
            id: id.clone(),
            name: name.trim_start_matches('/').into(),
            image: image.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            state: state.into(),
            created,
            cmd: Vec::new(),
            env: Vec::new(),
            host_config: Value::Null,
        });
        id
    }

    /// The container's process ends (state `exited`). Panics on an unknown id.
    pub fn kill(&self, id: &str) {
        let mut st = lock(&self.state);
        let c = st
            .containers
            .iter_mut()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no container {id}"));
        c.state = "exited".into();
    }

    /// Removes a container behind the client's back (someone else's `docker rm -f`).
    pub fn remove(&self, id: &str) {
        lock(&self.state).containers.retain(|c| c.id != id);
    }
}
