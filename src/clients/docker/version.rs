//! Docker Engine API version negotiation, as the Docker CLI does it: `GET /_ping`, read the
//! daemon's newest version from its `Api-Version` header, speak the older of that and ours,
//! and refuse a daemon older than the oldest version devicepool supports. Which create-body
//! keys need a newer version than the one spoken is `keys.rs`'s business. Read-only.

use std::fmt;

use crate::clients::http::{ApiError, Failure, Get, Reader};

/// An Engine API version, `major.minor` (compared numerically: 1.100 is after 1.52).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ApiVersion {
    pub major: u32,
    pub minor: u32,
}

impl ApiVersion {
    pub const fn new(major: u32, minor: u32) -> ApiVersion {
        ApiVersion { major, minor }
    }

    /// `"1.52"` → 1.52; anything else (`"1.52.1"`, `"v1.52"`, `"+1.+52"`, `""`) → `None`.
    pub fn parse(raw: &str) -> Option<ApiVersion> {
        let (major, minor) = raw.trim().split_once('.')?;
        // Digits only: `u32::from_str` would also take a leading `+`.
        let number = |part: &str| {
            let digits = !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse().ok()).flatten()
        };
        Some(ApiVersion::new(number(major)?, number(minor)?))
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The oldest version devicepool speaks: what Podman 4 and 5's Docker-compatible API and Docker
/// Engine 20.10 (Debian 12's `docker.io`) answer. A create-body key newer than the version
/// spoken holds the pool instead (`keys.rs`).
pub const OLDEST_API: ApiVersion = ApiVersion::new(1, 41);
/// The newest version devicepool speaks: Docker Engine 29.0, whose API description
/// (`api/docs/v1.52.yaml`) the fake daemon's answers are checked against.
pub const NEWEST_API: ApiVersion = ApiVersion::new(1, 52);

/// The version to speak with a daemon whose newest is `daemon`: the older of it and ours, or
/// why none fits.
pub fn choose_version(daemon: ApiVersion) -> Result<ApiVersion, String> {
    if daemon < OLDEST_API {
        return Err(format!(
            "the Docker daemon speaks Engine API {daemon} at most; devicepool needs {OLDEST_API} or newer (Docker Engine 20.10+, Podman 4+): upgrade Docker"
        ));
    }
    Ok(daemon.min(NEWEST_API))
}

/// The outcome of [`negotiate`]: the version spoken and the base URL every later request of
/// the run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// `<base>/v<version>`, e.g. `http://localhost/v1.41`.
    pub base: String,
    pub version: ApiVersion,
}

/// `GET <base>/_ping` (unversioned, as the Docker CLI asks) and the version and versioned base
/// URL (`<base>/v<chosen version>`) every later request of this run uses.
pub fn negotiate(reader: &Reader, base: &str) -> Result<Negotiated, ApiError> {
    let base = base.trim_end_matches('/');
    let url = format!("{base}/_ping");
    let headers = reader.get_headers(&Get {
        api: "docker",
        url: url.clone(),
        query: Vec::new(),
        authorization: None,
    })?;
    let protocol = |message: String| ApiError {
        api: "docker",
        method: "GET",
        url: url.clone(),
        failure: Failure::Protocol(message),
    };
    let raw = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("api-version"))
        .map(|(_, value)| value.as_str())
        .ok_or_else(|| {
            protocol("no Api-Version header: cannot tell which API the daemon speaks".into())
        })?;
    let daemon = ApiVersion::parse(raw)
        .ok_or_else(|| protocol(format!("Api-Version {raw:?} is not major.minor")))?;
    let chosen = choose_version(daemon).map_err(protocol)?;
    tracing::debug!(%daemon, %chosen, "Docker Engine API version");
    Ok(Negotiated {
        base: format!("{base}/v{chosen}"),
        version: chosen,
    })
}

#[cfg(test)]
#[path = "version_tests.rs"]
mod tests;
