//! What device pools read: Taskcluster pending/claimed counts, the oldest pending task (for
//! the queue-wait metric only) and quarantined workers per task queue, and LambdaTest's devices, the org's recent HyperExecute jobs and its count of
//! initiated jobs, in parallel. Read-only.

use std::collections::BTreeMap;
use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

use crate::clients::ReadCredentials;
use crate::clients::http::{ApiError, Failure, Reader};
use crate::clients::{lambdatest, taskcluster};
use crate::load::Desired;
use crate::parallel::{Task, run_parallel};
use crate::snapshot::{LambdatestState, OrgInitiated, QueueState};

/// What device pools read: each enabled pool's task queue, and the LambdaTest devices and
/// recent jobs (one reading shared by every pool). A failed read is kept as its error.
pub type DevicePoolsReading = (
    BTreeMap<String, Result<QueueState, ApiError>>,
    Result<LambdatestState, ApiError>,
);

/// Reads what the enabled device pools of `desired` need, in parallel: counts and quarantined
/// workers per task queue, LambdaTest devices, the org's jobs since `job_window` ago and
/// its initiated jobs whatever their age (they all count against `max_initiated`).
pub(crate) fn snapshot_device_pools(
    desired: &Desired,
    taskcluster_reader: &Reader,
    lambdatest_reader: &Reader,
    credentials: &ReadCredentials,
    now: Timestamp,
) -> DevicePoolsReading {
    let queues: Vec<&str> = desired
        .device_pools
        .values()
        .filter(|p| !p.disabled)
        .map(|p| p.task_queue.as_str())
        .collect();
    let mut reading: DevicePoolsReading = (BTreeMap::new(), Ok(LambdatestState::default()));
    let (Some(tc), Some(lt)) = (&desired.sources.taskcluster, &desired.sources.lambdatest) else {
        return reading;
    };
    if queues.is_empty() {
        return reading;
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
    let initiated = Mutex::new(None);
    let mut tasks: Vec<Task<'_>> = Vec::new();
    // The job history is the one sequential read (cursor pages); start it first.
    tasks.push(Box::new(|| {
        *jobs.lock().unwrap() = Some(lambdatest::fetch_jobs(lambdatest_reader, &account, since));
    }));
    tasks.push(Box::new(|| {
        let count = lambdatest::count_initiated(lambdatest_reader, &account, lt.max_initiated);
        *initiated.lock().unwrap() = Some(count);
    }));
    tasks.push(Box::new(|| {
        *devices.lock().unwrap() = Some(lambdatest::fetch_devices(lambdatest_reader, &account));
    }));
    for queue in &queues {
        let (reader, counts, quarantined) = (taskcluster_reader, &counts, &quarantined);
        tasks.push(Box::new(move || {
            let got = taskcluster::fetch_counts(reader, &tc.root_url, queue);
            // Only a queue with something pending has an oldest pending task to ask for.
            let oldest = match &got {
                Ok((pending, _)) if *pending > 0 => {
                    taskcluster::fetch_oldest_pending(reader, &tc.root_url, queue)
                }
                _ => Ok(None),
            };
            counts.lock().unwrap().insert(*queue, (got, oldest));
        }));
        let every = tc.worker_stale_after.is_some();
        tasks.push(Box::new(move || {
            let got = taskcluster::fetch_workers(reader, &tc.root_url, queue, every);
            quarantined.lock().unwrap().insert(*queue, got);
        }));
    }
    run_parallel(desired.settings.http.parallel_requests, tasks);

    let mut counts = counts.into_inner().unwrap();
    let mut quarantined = quarantined.into_inner().unwrap();
    let mut refused = Vec::new();
    for queue in queues {
        let (counted, oldest) = counts.remove(queue).expect("every queue task ran");
        let oldest_pending = match oldest {
            Ok(at) => at,
            Err(e) if matches!(e.failure, Failure::Status { status: 403, .. }) => {
                refused.push(queue);
                None
            }
            Err(e) => {
                tracing::warn!(
                    task_queue = queue,
                    "the oldest pending task could not be read ({e}): devicepool_pool_oldest_pending_seconds left out for this pool"
                );
                None
            }
        };
        let state = match (counted, quarantined.remove(queue)) {
            (Ok((pending, claimed)), Some(Ok((quarantined, last_active)))) => Ok(QueueState {
                pending,
                claimed,
                quarantined,
                last_active,
                oldest_pending,
            }),
            (Err(e), _) | (_, Some(Err(e))) => Err(e),
            (_, None) => unreachable!("every queue task ran"),
        };
        reading.0.insert(queue.to_string(), state);
    }
    warn_pending_list_refused(&refused);
    let read = (
        devices.into_inner().unwrap(),
        jobs.into_inner().unwrap(),
        initiated.into_inner().unwrap(),
    );
    reading.1 = match read {
        (Some(Ok(devices)), Some(Ok(jobs)), Some(Ok(count))) => Ok(LambdatestState {
            devices,
            jobs,
            org_initiated: Some(OrgInitiated {
                count,
                enough: lt.max_initiated,
            }),
        }),
        (Some(Err(e)), ..) | (_, Some(Err(e)), _) | (.., Some(Err(e))) => Err(e),
        _ => unreachable!("every LambdaTest task ran"),
    };
    reading
}

/// One warning a run for every task queue whose pending list Taskcluster refused (403: the
/// scope is missing). The pools are planned as ever; only their queue wait is left out.
fn warn_pending_list_refused(refused: &[&str]) {
    let Some(first) = refused.first() else {
        return;
    };
    tracing::warn!(
        task_queues = refused.join(", "),
        "Taskcluster answered 403 to listPendingTasks: grant the scope queue:pending-list:<taskQueueId> (e.g. queue:pending-list:{first}) to see the queue wait; devicepool_pool_oldest_pending_seconds is left out for these pools"
    );
}
