//! Reaching one Docker daemon for a run: parse its address (`unix:///path`, `tcp://host:port`),
//! build the reader that reaches it and negotiate the Engine API version (`version.rs`), the
//! one way every runner-pool read and write connects. It sends only `GET /_ping`.

use super::DockerHost;
use super::version::{Negotiated, negotiate};
use crate::clients::http::{ApiError, Failure, Reader};
use crate::load::HttpSettings;
use crate::secret::Redactor;

/// A daemon spoken to: where it is, a reader that reaches it, and the version negotiated.
pub struct Connection {
    pub host: DockerHost,
    pub reader: Reader,
    pub spoken: Negotiated,
}

/// Parses `raw`, and negotiates the API version with the daemon there. A bad address is an
/// error naming the Docker API and the address, as a failed request would be.
pub fn connect(
    raw: &str,
    settings: &HttpSettings,
    redactor: &Redactor,
) -> Result<Connection, ApiError> {
    let host = DockerHost::parse(raw).map_err(|e| ApiError {
        api: "docker",
        method: "GET",
        url: raw.to_string(),
        failure: Failure::Protocol(format!("bad Docker host: {e}")),
    })?;
    let reader = host.reader(settings, redactor.clone());
    let spoken = negotiate(&reader, &host.base_url())?;
    Ok(Connection {
        host,
        reader,
        spoken,
    })
}
