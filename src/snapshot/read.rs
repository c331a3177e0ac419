//! SOURCES: read-only clients, one per API, and `snapshot`, which reads everything a run
//! needs in parallel (every page once) into a `Snapshot`. Nothing here can mutate anything.

use std::collections::BTreeMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

use crate::clients::ReadCredentials;
use crate::clients::http::Reader;
use crate::clients::testflinger::bearer as testflinger_bearer;
use crate::clients::{lambdatest, taskcluster};
use crate::load::Desired;
use crate::parallel::{Task, run_parallel};
use crate::reconcilers::racks::observe as racks;
use crate::reconcilers::runner_pools::observe as runner_pools;
use crate::secret::Redactor;
use crate::snapshot::{LambdatestState, QueueState, Snapshot};

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
        let pools = snapshot_device_pools(desired, &readers, credentials, now);
        (
            pools,
            racks.join().expect("rack reads do not panic"),
            runner_pools.join().expect("runner pool reads do not panic"),
        )
    });
    Snapshot {
        agents,
        racks,
        runner_pools,
        ..pools
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

fn snapshot_device_pools(
    desired: &Desired,
    readers: &Readers,
    credentials: &ReadCredentials,
    now: Timestamp,
) -> Snapshot {
    let queues: Vec<&str> = desired
        .device_pools
        .values()
        .filter(|p| !p.disabled)
        .map(|p| p.task_queue.as_str())
        .collect();
    let mut snapshot = Snapshot {
        taken_at: now,
        queues: BTreeMap::new(),
        lambdatest: Ok(LambdatestState::default()),
        agents: Ok(Vec::new()),
        racks: BTreeMap::new(),
        runner_pools: BTreeMap::new(),
    };
    let (Some(tc), Some(lt)) = (&desired.sources.taskcluster, &desired.sources.lambdatest) else {
        return snapshot;
    };
    if queues.is_empty() {
        return snapshot;
    }
    let authorization = credentials.basic_authorization();
    let account = lambdatest::Account {
        api_url: &lt.api_url,
        devices_url: &lt.devices_url,
        authorization: authorization.expose(),
        page_size: lt.page_size,
        max_pages: lt.max_pages,
    };
    let window = SignedDuration::try_from(lt.job_window).unwrap_or(SignedDuration::MAX);
    let since = now.checked_sub(window).unwrap_or(Timestamp::MIN);

    let counts = Mutex::new(BTreeMap::new());
    let quarantined = Mutex::new(BTreeMap::new());
    let devices = Mutex::new(None);
    let jobs = Mutex::new(None);
    let mut tasks: Vec<Task<'_>> = Vec::new();
    // The job history is the one sequential read (cursor pages); start it first.
    tasks.push(Box::new(|| {
        *jobs.lock().unwrap() = Some(lambdatest::fetch_jobs(&readers.lambdatest, &account, since));
    }));
    tasks.push(Box::new(|| {
        *devices.lock().unwrap() = Some(lambdatest::fetch_devices(&readers.lambdatest, &account));
    }));
    for queue in &queues {
        let (reader, counts, quarantined) = (&readers.taskcluster, &counts, &quarantined);
        tasks.push(Box::new(move || {
            let got = taskcluster::fetch_counts(reader, &tc.root_url, queue);
            counts.lock().unwrap().insert(*queue, got);
        }));
        tasks.push(Box::new(move || {
            let got = taskcluster::fetch_quarantined(reader, &tc.root_url, queue);
            quarantined.lock().unwrap().insert(*queue, got);
        }));
    }
    run_parallel(desired.settings.http.parallel_requests, tasks);

    let mut counts = counts.into_inner().unwrap();
    let mut quarantined = quarantined.into_inner().unwrap();
    for queue in queues {
        let state = match (counts.remove(queue), quarantined.remove(queue)) {
            (Some(Ok((pending, claimed))), Some(Ok(quarantined))) => Ok(QueueState {
                pending,
                claimed,
                quarantined,
            }),
            (Some(Err(e)), _) | (_, Some(Err(e))) => Err(e),
            _ => unreachable!("every queue task ran"),
        };
        snapshot.queues.insert(queue.to_string(), state);
    }
    snapshot.lambdatest = match (devices.into_inner().unwrap(), jobs.into_inner().unwrap()) {
        (Some(Ok(devices)), Some(Ok(jobs))) => Ok(LambdatestState { devices, jobs }),
        (Some(Err(e)), _) | (_, Some(Err(e))) => Err(e),
        _ => unreachable!("both LambdaTest tasks ran"),
    };
    snapshot
}
