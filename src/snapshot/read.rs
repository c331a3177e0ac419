//! Reading the snapshot: every kind's `observe` run side by side (device pools, racks and
//! runner pools in parallel, every page once), gathered into one `Snapshot`. Read-only
//! clients only: nothing reachable from here can mutate anything.

use jiff::Timestamp;

use crate::clients::ReadCredentials;
use crate::clients::http::Reader;
use crate::clients::testflinger::bearer as testflinger_bearer;
use crate::load::Desired;
use crate::reconcilers::device_pools::observe as device_pools;
use crate::reconcilers::racks::observe as racks;
use crate::reconcilers::runner_pools::observe as runner_pools;
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
    let (pools, (agents, racks), runner_pools) = std::thread::scope(|scope| {
        let racks = scope.spawn(|| {
            let bearer = testflinger_bearer(desired, &readers.testflinger, credentials, now);
            let rack_credentials = racks::RackCredentials {
                maas_api_key: &credentials.maas_api_key,
                bearer,
            };
            racks::snapshot_racks(
                desired,
                &readers.maas,
                &readers.testflinger,
                &rack_credentials,
            )
        });
        let runner_pools = scope.spawn(|| {
            runner_pools::snapshot_runner_pools(
                desired,
                &readers.gitlab,
                &credentials.gitlab_token,
                &credentials.docker_host,
                redactor,
            )
        });
        let pools = device_pools::snapshot_device_pools(
            desired,
            &readers.taskcluster,
            &readers.lambdatest,
            credentials,
            now,
        );
        (
            pools,
            racks.join().expect("rack reads do not panic"),
            runner_pools.join().expect("runner pool reads do not panic"),
        )
    });
    let (queues, lambdatest) = pools;
    Snapshot {
        taken_at: now,
        queues,
        lambdatest,
        agents,
        racks,
        runner_pools,
    }
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
