//! Reading a runner pool's several Docker hosts (`docker_hosts`): each host's Engine API
//! version and our containers on it. A host that does not answer is recorded, not a reason to
//! hold the pool; only when none answers is the pool held. Read-only.

use super::config::DockerHostShare;
use super::observe::read_containers;
use crate::clients::docker::connect::connect;
use crate::clients::docker::version::ApiVersion;
use crate::clients::http::ApiError;
use crate::load::HttpSettings;
use crate::reconcilers::ownership::Ownership;
use crate::secret::Redactor;
use crate::snapshot::{ContainerView, HostReading, LookAlike};

/// What the hosts answered: our containers on all of them, each host's reading, and the
/// oldest version spoken (a start may land on any of them).
pub(crate) type HostsRead = (Vec<ContainerView>, Vec<HostReading>, Option<String>);

/// Reads every host of `shares` for `pool`'s containers.
pub(crate) fn read_hosts(
    (settings, redactor): (&HttpSettings, &Redactor),
    shares: &[DockerHostShare],
    pool: &str,
    owner: Ownership<'_>,
    look_alikes: &mut Vec<LookAlike>,
) -> Result<HostsRead, ApiError> {
    let mut containers = Vec::new();
    let mut readings = Vec::new();
    let mut oldest: Option<ApiVersion> = None;
    let mut first_error = None;
    for share in shares {
        let read = read_host(settings, redactor, &share.host, pool, owner, look_alikes);
        match read {
            Ok((version, found)) => {
                oldest = Some(oldest.map_or(version, |o| o.min(version)));
                readings.push(HostReading {
                    host: share.host.clone(),
                    containers: found.iter().map(|c| c.id.clone()).collect(),
                    error: None,
                });
                containers.extend(found);
            }
            Err(e) => {
                readings.push(HostReading {
                    host: share.host.clone(),
                    containers: Vec::new(),
                    error: Some(e.to_string()),
                });
                first_error.get_or_insert(e);
            }
        }
    }
    match (oldest, first_error) {
        (None, Some(e)) => Err(e),
        _ => Ok((containers, readings, oldest.map(|v| v.to_string()))),
    }
}

fn read_host(
    settings: &HttpSettings,
    redactor: &Redactor,
    raw: &str,
    pool: &str,
    owner: Ownership<'_>,
    look_alikes: &mut Vec<LookAlike>,
) -> Result<(ApiVersion, Vec<ContainerView>), ApiError> {
    let daemon = connect(raw, settings, redactor)?;
    let base = (&daemon.reader, daemon.spoken.base.as_str());
    let found = read_containers(base, pool, owner, look_alikes)?;
    Ok((daemon.spoken.version, found))
}
