//! A fake Kubernetes API server serving only `coordination.k8s.io/v1` Leases (get, create,
//! update), as `tests/upstream/kubernetes/` describes them: bearer-token authentication,
//! RBAC by verb (a missing verb is a 403 `Forbidden` Status), `resourceVersion` checks on
//! update (a stale one is a 409 `Conflict`), and MicroTime fields with microseconds. Knows
//! nothing of devicepool.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;

use super::server::SimServer;

/// The service account token the fake accepts (sim-only).
pub const SIM_KUBERNETES_TOKEN: &str = "sim-serviceaccount-token-7Qm2";

pub(crate) struct State {
    pub(crate) token: String,
    /// The verbs the service account may use on leases.
    pub(crate) allowed: BTreeSet<String>,
    /// Leases by (namespace, name).
    pub(crate) leases: BTreeMap<(String, String), Value>,
    /// The last resourceVersion handed out.
    pub(crate) revision: u64,
}

pub(crate) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake API server with no Leases; the token is [`SIM_KUBERNETES_TOKEN`] and every
/// verb on leases is allowed.
pub struct KubernetesSim {
    server: SimServer,
    state: Arc<Mutex<State>>,
}

impl KubernetesSim {
    pub fn start() -> std::io::Result<KubernetesSim> {
        let state = Arc::new(Mutex::new(State {
            token: SIM_KUBERNETES_TOKEN.into(),
            allowed: ["get", "create", "update"].map(String::from).into(),
            leases: BTreeMap::new(),
            revision: 100,
        }));
        let handler = super::kubernetes_routes::Handler(Arc::clone(&state));
        let server = SimServer::start(Arc::new(handler))?;
        Ok(KubernetesSim { server, state })
    }

    /// The API server URL, e.g. `http://127.0.0.1:40123`.
    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// Allows only `verbs` on leases from now on (an RBAC Role with those verbs).
    pub fn allow(&self, verbs: &[&str]) {
        lock(&self.state).allowed = verbs.iter().map(|v| v.to_string()).collect();
    }

    /// The Lease `namespace/name` as stored, if any.
    pub fn lease(&self, namespace: &str, name: &str) -> Option<Value> {
        lock(&self.state)
            .leases
            .get(&(namespace.into(), name.into()))
            .cloned()
    }

    /// Changes the stored Lease with `change` and gives it a new resourceVersion, as another
    /// writer would (e.g. `kubectl edit`).
    pub fn edit_lease(&self, namespace: &str, name: &str, change: impl FnOnce(&mut Value)) {
        let mut state = lock(&self.state);
        state.revision += 1;
        let revision = state.revision.to_string();
        if let Some(lease) = state.leases.get_mut(&(namespace.into(), name.into())) {
            change(lease);
            lease["metadata"]["resourceVersion"] = Value::String(revision);
        }
    }
}
