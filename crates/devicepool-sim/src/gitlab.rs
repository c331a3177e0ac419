//! A fake GitLab (REST v4: runners, runner jobs, project pending jobs, runner creation) on a
//! loopback server, with a controllable clock that drives runner `status`/`online` exactly as
//! GitLab derives them. Tests and the demo steer it through the methods here; it must not be
//! kinder than GitLab (admin-only `/runners/all`, strict params, real pagination headers).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use jiff::{SignedDuration, Timestamp};

use super::server::SimServer;

/// A personal access token of an administrator.
pub const SIM_ADMIN_TOKEN: &str = "glpat-SimAdminToken000001";
/// A personal access token of an ordinary user.
pub const SIM_USER_TOKEN: &str = "glpat-SimUserToken0000001";
/// The host GitLab puts in `Link` headers (its configured `external_url`, not the request's).
pub(super) const EXTERNAL_URL: &str = "https://gitlab.example.com";
/// The fake clock's start.
const EPOCH: &str = "2026-09-01T12:00:00Z";

/// Who a token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum User {
    Admin,
    Regular,
}

/// A runner as the fake knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRunner {
    pub id: u64,
    pub description: String,
    pub tags: Vec<String>,
    pub paused: bool,
    /// `instance_type`, `group_type` or `project_type`.
    pub runner_type: String,
    pub run_untagged: bool,
    pub locked: bool,
    pub created_at: Timestamp,
    pub contacted_at: Option<Timestamp>,
    /// Free text set with `PUT /runners/:id` (up to 1024 characters); `None` until set.
    pub maintenance_note: Option<String>,
    /// The runner authentication token (`glrt-...`).
    pub token: String,
    pub(super) owner: User,
}

/// A CI job as the fake knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimJob {
    pub id: u64,
    pub project_id: u64,
    pub status: String,
    pub runner_id: Option<u64>,
    pub tags: Vec<String>,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
}

pub(super) struct State {
    pub(super) now: Timestamp,
    pub(super) runners: Vec<SimRunner>,
    pub(super) jobs: Vec<SimJob>,
    /// Project path → id.
    pub(super) projects: BTreeMap<String, u64>,
    next_id: u64,
}

impl State {
    pub(super) fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

pub(super) fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// GitLab's REST `status` of a runner at `now` (stale first, then never contacted, paused,
/// online within 2 h, else offline).
pub(super) fn runner_status(r: &SimRunner, now: Timestamp) -> &'static str {
    let week = SignedDuration::from_hours(24 * 7);
    let contacted_recently = |window| {
        r.contacted_at
            .is_some_and(|c| now.duration_since(c) < window)
    };
    if now.duration_since(r.created_at) > week && !contacted_recently(week) {
        "stale"
    } else if r.contacted_at.is_none() {
        "never_contacted"
    } else if r.paused {
        "paused"
    } else if runner_online(r, now) {
        "online"
    } else {
        "offline"
    }
}

/// GitLab's `online`: contacted within the last 2 hours, paused or not.
pub(super) fn runner_online(r: &SimRunner, now: Timestamp) -> bool {
    r.contacted_at
        .is_some_and(|c| now.duration_since(c) < SignedDuration::from_hours(2))
}

/// The fake GitLab: control methods here, HTTP on `url()`.
pub struct GitlabSim {
    server: SimServer,
    state: Arc<Mutex<State>>,
}

impl GitlabSim {
    /// Starts an instance with no runners, jobs or projects; the clock at 2026-09-01 12:00 UTC.
    pub fn start() -> std::io::Result<GitlabSim> {
        let state = Arc::new(Mutex::new(State {
            now: EPOCH.parse().expect("valid epoch"),
            runners: Vec::new(),
            jobs: Vec::new(),
            projects: BTreeMap::new(),
            next_id: 0,
        }));
        let handler = super::gitlab_routes::Handler(Arc::clone(&state));
        let server = SimServer::start(Arc::new(handler))?;
        Ok(GitlabSim { server, state })
    }

    /// The GitLab URL as operators configure it (the API is under `/api/v4`).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The underlying server (request log, fault injection).
    pub fn server(&self) -> &SimServer {
        &self.server
    }

    /// An administrator's token (may list `/runners/all`).
    pub fn admin_token(&self) -> String {
        SIM_ADMIN_TOKEN.into()
    }

    /// An ordinary user's token (403 on `/runners/all`).
    pub fn user_token(&self) -> String {
        SIM_USER_TOKEN.into()
    }

    /// The fake's clock.
    pub fn now(&self) -> Timestamp {
        lock(&self.state).now
    }

    /// Moves the clock forward (or back, with a negative `secs`).
    pub fn advance_clock(&self, secs: i64) {
        let mut state = lock(&self.state);
        state.now += SignedDuration::from_secs(secs);
    }

    /// Adds an instance runner created by the admin now, never contacted; returns its id.
    pub fn add_runner(&self, description: &str, tags: &[&str], paused: bool) -> u64 {
        let mut state = lock(&self.state);
        let id = state.next_id();
        let runner = SimRunner {
            id,
            description: description.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            paused,
            runner_type: "instance_type".into(),
            run_untagged: tags.is_empty(),
            locked: false,
            created_at: state.now,
            contacted_at: None,
            maintenance_note: None,
            token: runner_token(id),
            owner: User::Admin,
        };
        state.runners.push(runner);
        id
    }

    /// The runner asks GitLab for jobs now (sets `contacted_at`). Panics on an unknown id.
    pub fn contact(&self, runner_id: u64) {
        let mut state = lock(&self.state);
        let now = state.now;
        runner_mut(&mut state, runner_id).contacted_at = Some(now);
    }

    /// What a runner process does when it starts, as a function of its authentication token:
    /// the runner with that token contacts GitLab (an unknown token is ignored).
    pub fn contact_by_token(&self) -> impl Fn(&str) + Send + 'static {
        let state = Arc::clone(&self.state);
        move |token| {
            let mut state = lock(&state);
            let now = state.now;
            if let Some(runner) = state.runners.iter_mut().find(|r| r.token == token) {
                runner.contacted_at = Some(now);
            }
        }
    }

    /// A person pauses the runner (in the UI, say), leaving `note` as its maintenance note.
    /// Panics on an unknown id.
    pub fn pause_by_hand(&self, runner_id: u64, note: Option<&str>) {
        let mut state = lock(&self.state);
        let runner = runner_mut(&mut state, runner_id);
        runner.paused = true;
        runner.maintenance_note = note.map(str::to_string);
    }

    /// Every runner, in id order.
    pub fn runners(&self) -> Vec<SimRunner> {
        lock(&self.state).runners.clone()
    }

    /// Every job, in id order.
    pub fn jobs(&self) -> Vec<SimJob> {
        lock(&self.state).jobs.clone()
    }

    /// A job already running on `runner_id` (the runner contacts GitLab); returns its id.
    pub fn start_job(&self, runner_id: u64, project_id: u64) -> u64 {
        let mut state = lock(&self.state);
        let (id, now) = (state.next_id(), state.now);
        let tags = runner_mut(&mut state, runner_id).tags.clone();
        runner_mut(&mut state, runner_id).contacted_at = Some(now);
        state.jobs.push(SimJob {
            id,
            project_id,
            status: "running".into(),
            runner_id: Some(runner_id),
            tags,
            created_at: now,
            started_at: Some(now),
            finished_at: None,
        });
        id
    }

    /// Ends a job with `status` (`success`, `failed`, `canceled`) now. Panics on an unknown id.
    pub fn finish_job(&self, job_id: u64, status: &str) {
        let mut state = lock(&self.state);
        let now = state.now;
        let job = job_mut(&mut state, job_id);
        job.status = status.into();
        job.finished_at = Some(now);
    }

    /// A pending job in a project given by numeric id or by path (created on first use);
    /// returns the job id.
    pub fn add_pending_job(&self, project: &str, tags: &[&str]) -> u64 {
        let mut state = lock(&self.state);
        let project_id = match project.parse::<u64>() {
            Ok(id) => id,
            Err(_) => match state.projects.get(project) {
                Some(id) => *id,
                None => {
                    let id = state.next_id();
                    state.projects.insert(project.into(), id);
                    id
                }
            },
        };
        let (id, now) = (state.next_id(), state.now);
        let mut tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        tags.sort();
        state.jobs.push(SimJob {
            id,
            project_id,
            status: "pending".into(),
            runner_id: None,
            tags,
            created_at: now,
            started_at: None,
            finished_at: None,
        });
        id
    }

    /// A runner picks a pending job up: it becomes `running` on that runner.
    pub fn pick_up(&self, job_id: u64, runner_id: u64) {
        let mut state = lock(&self.state);
        let now = state.now;
        runner_mut(&mut state, runner_id).contacted_at = Some(now);
        let job = job_mut(&mut state, job_id);
        job.status = "running".into();
        job.runner_id = Some(runner_id);
        job.started_at = Some(now);
    }
}

fn runner_mut(state: &mut State, id: u64) -> &mut SimRunner {
    state
        .runners
        .iter_mut()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no runner {id}"))
}

fn job_mut(state: &mut State, id: u64) -> &mut SimJob {
    state
        .jobs
        .iter_mut()
        .find(|j| j.id == id)
        .unwrap_or_else(|| panic!("no job {id}"))
}

/// A runner authentication token like GitLab's (`glrt-` + 20 characters), unique per id.
pub(super) fn runner_token(id: u64) -> String {
    format!(
        "glrt-t1_Sim{:015x}",
        id.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 4
    )
}
