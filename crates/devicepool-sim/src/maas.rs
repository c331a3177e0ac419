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
mod tests {
    use super::*;
    use crate::probe::{fetch, header};
    use serde_json::Value;

    /// A header as a client signs it now, with a nonce not used before.
    fn signed(maas: &MaasSim) -> String {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let nonce = format!(
            "n{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        signed_at(maas, jiff::Timestamp::now().as_second(), &nonce)
    }

    /// A PLAINTEXT OAuth header for `timestamp` and `nonce`, built here from MAAS's contract
    /// rather than by devicepool's own signer (the token secret is alphanumeric, so its
    /// encoded form is itself).
    fn signed_at(maas: &MaasSim, timestamp: i64, nonce: &str) -> String {
        let key = maas.api_key();
        let mut parts = key.splitn(3, ':');
        let mut next = || parts.next().expect("consumer:token:secret");
        let (consumer, token, secret) = (next(), next(), next());
        format!(
            "OAuth oauth_version=\"1.0\", oauth_signature_method=\"PLAINTEXT\", oauth_consumer_key=\"{consumer}\", oauth_token=\"{token}\", oauth_signature=\"%26{secret}\", oauth_nonce=\"{nonce}\", oauth_timestamp=\"{timestamp}\""
        )
    }

    fn get(maas: &MaasSim, path: &str) -> (u16, String) {
        let auth = signed(maas);
        let url = format!("{}/api/2.0/{path}", maas.url());
        let (status, _, body) = fetch("GET", &url, &[("Authorization", &auth)], None);
        (status, body)
    }

    fn hostnames(body: &str) -> Vec<String> {
        let v: Vec<Value> = serde_json::from_str(body).expect("json array");
        v.iter()
            .map(|m| m["hostname"].as_str().expect("h").to_string())
            .collect()
    }

    fn fleet() -> MaasSim {
        let maas = MaasSim::start().expect("start");
        maas.add_machine("a", &["rack-a", "gpu"], "Ready");
        maas.add_machine("b", &["rack-a"], "Deployed");
        maas.add_machine("c", &["rack-b"], "Ready");
        maas.add_tag("empty");
        maas
    }

    #[test]
    fn filters_follow_maas_semantics() {
        let maas = fleet();
        let (status, body) = get(&maas, "machines/");
        assert_eq!(
            (status, hostnames(&body)),
            (200, vec!["a".into(), "b".into(), "c".into()])
        );
        let v: Vec<Value> = serde_json::from_str(&body).expect("json");
        assert_eq!(
            (v[1]["status"].as_u64(), v[1]["status_name"].as_str()),
            (Some(6), Some("Deployed"))
        );
        assert_eq!(
            v[0]["resource_uri"],
            format!(
                "/MAAS/api/2.0/machines/{}/",
                v[0]["system_id"].as_str().expect("id")
            )
        );
        for q in [
            "tags=rack-a&tags=gpu",
            "tags=rack-a,gpu",
            "tags=rack-a%20gpu",
        ] {
            assert_eq!(
                hostnames(&get(&maas, &format!("machines/?{q}")).1),
                ["a"],
                "{q}"
            );
        }
        assert!(hostnames(&get(&maas, "machines/?tags=empty").1).is_empty());
        assert_eq!(
            hostnames(&get(&maas, "machines/?hostname=a&hostname=c").1),
            ["a", "c"]
        );
        assert_eq!(
            hostnames(&get(&maas, "machines/?status=ready&tags=rack-a").1),
            ["a"]
        );
        assert_eq!(hostnames(&get(&maas, "machines/?not_tags=rack-a").1), ["c"]);
        assert_eq!(
            get(&maas, "machines/?tags=x,y"),
            (400, r#"{"tags":["No such tag(s): 'x', 'y'."]}"#.into())
        );
        assert_eq!(get(&maas, "machines/?status=Ready").0, 400);
        maas.set_machine_status("c", "Broken");
        assert_eq!(hostnames(&get(&maas, "machines/?status=broken").1), ["c"]);
        let id = maas.machines()[0].system_id.clone();
        assert_eq!(
            hostnames(&format!("[{}]", get(&maas, &format!("machines/{id}/")).1)),
            ["a"]
        );
        assert_eq!(
            get(&maas, "machines/nope00/"),
            (404, "No Machine matches the given query.".into())
        );
    }

    #[test]
    fn oauth_is_checked_like_maas() {
        let maas = fleet();
        let url = format!("{}/api/2.0/machines/", maas.url());
        let (status, hdrs, _) = fetch("GET", &url, &[], None);
        assert_eq!(status, 401);
        assert_eq!(
            header(&hdrs, "www-authenticate"),
            Some("OAuth realm=\"OAuth\"")
        );
        let auth = |h: &str| fetch("GET", &url, &[("Authorization", h)], None);
        let full = signed(&maas);
        let nonce_param = full
            .split(", ")
            .find(|p| p.starts_with("oauth_nonce="))
            .expect("nonce")
            .to_string();
        let no_nonce = full.replace(&format!(", {nonce_param}"), "");
        let (status, _, body) = auth(&no_nonce);
        assert_eq!(
            (status, body.as_str()),
            (400, "Missing OAuth parameter(s): oauth_nonce")
        );
        let hmac = full.replace("PLAINTEXT", "HMAC-SHA1");
        assert_eq!(auth(&hmac).0, 401);
        let raw_amp = full.replace("%26", "&");
        assert_eq!(auth(&raw_amp).0, 200, "an unencoded & decodes the same");
        let (status, _, body) = auth(&raw_amp);
        assert_eq!(status, 401, "a nonce is accepted once");
        assert!(
            body.starts_with("Authorization Error: 'Nonce already used: n"),
            "{body}"
        );
        let stale = jiff::Timestamp::now().as_second() - 301;
        let old = signed_at(&maas, stale, "fresh");
        let (status, _, body) = auth(&old);
        assert_eq!(status, 401);
        assert!(body.contains("Expired timestamp"), "{body}");
        let basic = auth("Basic dTpw");
        assert_eq!(basic.0, 401);
        let (status, _, body) = fetch(
            "GET",
            &format!("{}/api/2.0/version/", maas.url()),
            &[],
            None,
        );
        assert_eq!(status, 200, "{body}");
    }

    #[test]
    fn status_table_matches_maas() {
        assert_eq!(status_code("Failed deployment"), Some(11));
        assert_eq!(status_code("Failed Deployment"), None);
        assert_eq!(status_code("Releasing failed"), Some(13));
        assert_eq!(status_code("Failed testing"), Some(22));
        for (i, (code, _, _)) in STATUSES.iter().enumerate() {
            assert_eq!(usize::from(*code), i);
        }
    }

    #[test]
    fn system_ids_are_short_and_unique() {
        let ids: BTreeSet<String> = (1..500).map(system_id).collect();
        assert_eq!(ids.len(), 499);
        assert!(ids.iter().all(|s| s.len() == 6));
    }
}
