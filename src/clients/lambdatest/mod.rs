//! LambdaTest reads: private-cloud devices, HyperExecute jobs (cursor pagination, newest
//! first, read until a whole page is past the cutoff) and the org's count of initiated jobs
//! (status-filtered). Launching a job through the
//! `hyperexecute` CLI is in `hyperexecute.rs`; this file only reads. Wire types stay private to
//! this file. The body decoders (`decode_devices`, `decode_jobs_page`) are the very mapping
//! the fetches use, so `clients::decode` can fuzz them without a server.

pub mod hyperexecute;

use std::collections::BTreeMap;

use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::http::{ApiError, Failure, Get, Reader, display_url};

const API: &str = "lambdatest";

/// Where and how to read LambdaTest.
pub struct Account<'a> {
    pub api_url: &'a str,
    pub devices_url: &'a str,
    /// `Basic base64(user:key)`.
    pub authorization: &'a str,
    pub page_size: u32,
    pub max_pages: u32,
}

#[derive(Deserialize)]
struct DevicesReply {
    status: String,
    data: DevicesData,
}

#[derive(Deserialize)]
struct DevicesData {
    private_cloud_devices: Vec<WireDevice>,
}

#[derive(Deserialize)]
struct WireDevice {
    udid: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    os: String,
    #[serde(default, rename = "fullOsVersion")]
    full_os_version: String,
    status: String,
}

#[derive(Deserialize)]
struct JobsReply {
    data: Vec<WireJob>,
}

#[derive(Deserialize)]
struct WireJob {
    id: String,
    job_number: u64,
    status: String,
    #[serde(default)]
    job_label: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

/// `GET /mobile-automation/api/v1/privatecloud_devices`.
pub fn fetch_devices(
    reader: &Reader,
    account: &Account<'_>,
) -> Result<BTreeMap<String, Device>, ApiError> {
    let url = format!(
        "{}/mobile-automation/api/v1/privatecloud_devices",
        account.devices_url.trim_end_matches('/')
    );
    let reply: DevicesReply = reader.get_json(&Get {
        api: API,
        url: url.clone(),
        query: Vec::new(),
        authorization: Some(account.authorization),
    })?;
    devices_from_wire(reply).map_err(|message| ApiError::undecodable(API, "GET", url, message))
}

/// Decodes a `privatecloud_devices` body exactly as `fetch_devices` does.
pub(crate) fn decode_devices(body: &str) -> Result<BTreeMap<String, Device>, String> {
    let reply: DevicesReply = serde_json::from_str(body).map_err(|e| e.to_string())?;
    devices_from_wire(reply)
}

/// The devices of a reply keyed by UDID; a reply whose `status` is not `success` is an error.
fn devices_from_wire(reply: DevicesReply) -> Result<BTreeMap<String, Device>, String> {
    if reply.status != "success" {
        return Err(format!("status {:?}, expected \"success\"", reply.status));
    }
    Ok(reply
        .data
        .private_cloud_devices
        .into_iter()
        .map(|d| {
            let device = Device {
                name: d.name,
                os: d.os,
                os_version: d.full_os_version,
                status: d.status,
            };
            (d.udid, device)
        })
        .collect())
}

/// `GET /v1.0/jobs`, newest first, page after page until a whole page is older than `since`
/// or the list ends. A cursor that does not move down is an error, never a loop.
pub fn fetch_jobs(
    reader: &Reader,
    account: &Account<'_>,
    since: Timestamp,
) -> Result<Vec<Job>, ApiError> {
    let mut jobs: Vec<Job> = Vec::new();
    read_pages(reader, account, (None, "inside the job window"), |page| {
        // Job numbers and creation times need not agree (a job numbered late may have been
        // created early), so one old job on a page says nothing about the next page: only a
        // page wholly past the window ends the read. Old jobs are dropped either way.
        let mut whole_page_past = true;
        for job in page {
            if job.created_at.is_some_and(|at| at < since) {
                continue;
            }
            whole_page_past = false;
            jobs.push(job);
        }
        if whole_page_past {
            Read::Done
        } else {
            Read::More
        }
    })?;
    Ok(jobs)
}

/// How many jobs of the whole organisation are `initiated`, whatever their age:
/// `GET /v1.0/jobs?status=initiated` (the listing's documented status filter), page after
/// page until the list ends or `enough` are counted (more cannot lower the org's room below
/// nothing). Only jobs the reply itself says are `initiated` are counted, so a server that
/// ignored the filter is read further, never believed.
pub fn count_initiated(
    reader: &Reader,
    account: &Account<'_>,
    enough: u32,
) -> Result<u32, ApiError> {
    let mut count: u32 = 0;
    read_pages(
        reader,
        account,
        (Some("initiated"), "with status initiated"),
        |page| {
            let initiated = page.iter().filter(|j| j.status == "initiated").count();
            count = count.saturating_add(initiated as u32);
            if count >= enough {
                Read::Done
            } else {
                Read::More
            }
        },
    )?;
    Ok(count)
}

/// What a page's reader says after a page.
enum Read {
    More,
    Done,
}

/// Reads `/v1.0/jobs` (optionally `status`-filtered) newest first, handing each page to
/// `page_read` until it says `Done`, the list ends, or `max_pages` pages were read (an
/// error naming `what` was read, not a silent truncation). A cursor that does not move down
/// is an error, never a loop.
fn read_pages(
    reader: &Reader,
    account: &Account<'_>,
    (status, what): (Option<&str>, &str),
    mut page_read: impl FnMut(Vec<Job>) -> Read,
) -> Result<(), ApiError> {
    let url = format!("{}/v1.0/jobs", account.api_url.trim_end_matches('/'));
    // The filter is named, so the message says which of the two reads of `/v1.0/jobs` failed.
    let filter: Vec<(&str, String)> = status
        .map(|s| ("status", s.to_string()))
        .into_iter()
        .collect();
    let protocol_error = |message: String| ApiError {
        api: API,
        method: "GET",
        url: display_url(&url, &filter),
        failure: Failure::Protocol(message),
    };
    let mut cursor: Option<u64> = None;
    for _ in 0..account.max_pages {
        let mut query = vec![
            ("show_test_summary", "false".to_string()),
            ("is_cursor_base_pagination", "true".to_string()),
            ("limit", account.page_size.to_string()),
        ];
        query.extend(filter.iter().cloned());
        if let Some(c) = cursor {
            query.push(("cursor", c.to_string()));
        }
        let reply: JobsReply = reader.get_json(&Get {
            api: API,
            url: url.clone(),
            query,
            authorization: Some(account.authorization),
        })?;
        let page = jobs_from_wire(reply);
        let Some(last) = page.last().map(|j| j.job_number) else {
            return Ok(());
        };
        if let Some(previous) = cursor
            && page.iter().any(|j| j.job_number >= previous)
        {
            return Err(protocol_error(format!(
                "cursor {previous} did not advance: the page holds job {} again",
                page[0].job_number
            )));
        }
        // A short page is not taken as the end: the server may cap `limit` below ours.
        if let Read::Done = page_read(page) {
            return Ok(());
        }
        cursor = Some(last);
    }
    Err(protocol_error(format!(
        "more than {} pages of jobs {what} (raise sources.lambdatest.max_pages)",
        account.max_pages
    )))
}

/// Decodes one `/v1.0/jobs` page exactly as `fetch_jobs` does (labels parsed from the
/// JSON-encoded `job_label`), in the server's order.
pub(crate) fn decode_jobs_page(body: &str) -> Result<Vec<Job>, String> {
    let reply: JobsReply = serde_json::from_str(body).map_err(|e| e.to_string())?;
    Ok(jobs_from_wire(reply))
}

fn jobs_from_wire(reply: JobsReply) -> Vec<Job> {
    reply.data.into_iter().map(decode_job).collect()
}

/// One job: `job_label` must be a JSON list of strings (else `None`), `created_at` an
/// RFC 3339 instant (else `None`).
fn decode_job(wire: WireJob) -> Job {
    let labels = wire
        .job_label
        .as_deref()
        .filter(|raw| !raw.trim().is_empty())
        .and_then(|raw| serde_json::from_str::<Vec<String>>(raw).ok());
    let created_at = wire
        .created_at
        .as_deref()
        .and_then(|raw| raw.parse::<Timestamp>().ok());
    Job {
        id: wire.id,
        job_number: wire.job_number,
        status: wire.status,
        labels,
        created_at,
    }
}

/// A real device in LambdaTest's private cloud.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Device {
    pub name: String,
    /// `android` or `ios`.
    #[serde(default)]
    pub os: String,
    /// LambdaTest's `fullOsVersion`, e.g. `14`.
    #[serde(default)]
    pub os_version: String,
    /// `active` means idle and available; anything else is unavailable.
    pub status: String,
}

/// A HyperExecute job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Job {
    pub id: String,
    pub job_number: u64,
    pub status: String,
    /// The job's labels, parsed from the JSON-encoded `job_label`; `None` when absent or not
    /// a JSON list of strings.
    pub labels: Option<Vec<String>>,
    #[schemars(with = "Option<String>")]
    pub created_at: Option<Timestamp>,
}

impl Job {
    /// HyperExecute statuses of a job that still holds or waits for a device.
    pub fn is_active(&self) -> bool {
        matches!(self.status.as_str(), "initiated" | "running")
    }

    /// Statuses after which a job will never hold a device again.
    pub fn has_ended(&self) -> bool {
        matches!(
            self.status.as_str(),
            "completed"
                | "failed"
                | "aborted"
                | "timeout"
                | "lambda_error"
                | "cancelled"
                | "error"
                | "passed"
                | "skipped"
                | "stopped"
                | "ignored"
                | "muted"
        )
    }
}

#[cfg(test)]
mod tests;
