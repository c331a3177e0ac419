//! Reading the snapshot: one reader per API (each with its source's timeout), then every kind's
//! `observe` side by side (`reconcilers::observe_every_kind`), gathered into one `Snapshot`.
//! Read-only clients only: nothing reachable from here can mutate anything.

use jiff::Timestamp;

use crate::clients::ReadCredentials;
use crate::clients::http::Reader;
use crate::load::Desired;
use crate::secret::Redactor;
use crate::snapshot::Snapshot;

/// Reads every API the enabled pools and racks of `desired` depend on, in parallel.
pub fn snapshot(
    desired: &Desired,
    credentials: &ReadCredentials,
    redactor: &Redactor,
    now: Timestamp,
) -> Snapshot {
    let readers = Readers::new(desired, redactor);
    crate::reconcilers::observe_every_kind(desired, &readers, credentials, redactor, now)
}

/// One reader per API, each with that source's timeout (or `settings.http.timeout`).
pub struct Readers {
    pub taskcluster: Reader,
    pub lambdatest: Reader,
    pub maas: Reader,
    pub testflinger: Reader,
    pub gitlab: Reader,
}

impl Readers {
    pub fn new(desired: &Desired, redactor: &Redactor) -> Readers {
        let sources = &desired.sources;
        let reader = |timeout: Option<std::time::Duration>| {
            let mut settings = desired.settings.http.clone();
            settings.timeout = timeout.unwrap_or(settings.timeout);
            Reader::new(&settings, redactor.clone())
        };
        Readers {
            taskcluster: reader(sources.taskcluster.as_ref().and_then(|s| s.timeout)),
            lambdatest: reader(sources.lambdatest.as_ref().and_then(|s| s.timeout)),
            maas: reader(sources.maas.as_ref().and_then(|s| s.timeout)),
            testflinger: reader(sources.testflinger.as_ref().and_then(|s| s.timeout)),
            gitlab: reader(sources.gitlab.as_ref().and_then(|s| s.timeout)),
        }
    }
}
