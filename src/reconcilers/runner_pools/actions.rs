//! Carrying out runner-pool actions. Start: register the runner (`POST /user/runners`), render
//! its container spec with the new token, set the ownership labels (`devicepool.managed`,
//! `devicepool.pool`, `devicepool.runner-id`, `devicepool.fleet`, `devicepool.mac`,
//! `devicepool.spec`) whatever
//! the template says, create and start the
//! container; a failure after
//! registering deletes the runner again. Remove: pause the runner (its maintenance note marking
//! the pause as devicepool's removal), check again that no job
//! landed on it (if one did, resume it and say so), delete it, remove its container; a 404 on
//! either means already gone. Orphans: remove the container. Roll-out pause: pause the runner
//! with the roll-out's maintenance note (GitLab only). Decides nothing.

use super::conventions::{
    MAC_LABEL, REMOVAL_NOTE, ROLLOUT_NOTE, SPEC_LABEL, container_labels, runner_description,
};
use super::model::{RunnerPause, RunnerRemoval, RunnerStart};
use super::recheck::{pause_name, removal_action, removal_name};
use crate::clients::docker::version::ApiVersion;
use crate::clients::docker::write::{self as docker, ContainerSpec};
use crate::clients::gitlab::fetch_running_jobs;
use crate::clients::gitlab::write::{self as gitlab, NewRunner};
use crate::clients::http::Reader;
use crate::clients::http_send::{Removal, Writer};
use crate::load::Desired;
use crate::reconcilers::ownership::Ownership;
use crate::reconcilers::record::{Action, ActionError, ActionRecord, ErrorClass, Kind, Outcome};
use crate::render::Templates;
use crate::secret::Secret;

/// Everything the runner actions talk to.
pub struct RunnerExecutor<'a> {
    pub desired: &'a Desired,
    pub templates: &'a Templates,
    pub gitlab_reader: &'a Reader,
    pub gitlab_writer: &'a Writer,
    pub gitlab_base: &'a str,
    pub token: &'a Secret,
    pub docker_writer: &'a Writer,
    pub docker_base: &'a str,
    /// The Engine API version `docker_base` speaks.
    pub docker_api: ApiVersion,
}

impl RunnerExecutor<'_> {
    /// Registers a runner and starts its container.
    pub fn start(&self, pool: &str, start: &RunnerStart) -> ActionRecord {
        let mut record =
            ActionRecord::new(Kind::RunnerPool, pool, Action::StartRunner, &start.name);
        // A key this daemon would ignore: refused before a runner is registered for it.
        if let Err(e) = super::render::check_keys(&start.container_spec, Some(self.docker_api)) {
            let message = format!("not tried: {e}");
            return record.fail(ActionError::new(ErrorClass::Render, message));
        }
        let description = runner_description(&Ownership::of(self.desired), pool, &start.name);
        let new = NewRunner {
            runner_type: "instance_type",
            group_id: None,
            project_id: None,
            description: &description,
            tag_list: &start.tags,
            run_untagged: false,
            locked: false,
            paused: false,
        };
        let created =
            match gitlab::create_runner(self.gitlab_writer, self.gitlab_base, self.token, &new) {
                Ok(created) => created,
                Err(e) => return record.fail(ActionError::api(&e)),
            };
        record.runner_id = Some(created.id);
        // Every client redacts the new runner's token from now on, before any excerpt is
        // cut: Docker may echo the container's environment in an error.
        self.gitlab_writer.learn_secret(&created.token);
        let mut scrub = crate::secret::Redactor::default();
        scrub.add(&created.token);
        let result = self
            .start_container(pool, start, created.id, &created.token)
            .map(|id| record.container_id = Some(id))
            .map_err(|e| ActionError::new(e.class, scrub.redact(&e.message)));
        match result {
            Ok(()) => {
                record.outcome = Outcome::Done;
                record
            }
            Err(e) => {
                // Do not leave a registered runner without a container behind.
                let cleanup = gitlab::delete_runner(
                    self.gitlab_writer,
                    self.gitlab_base,
                    self.token,
                    created.id,
                );
                let message = match cleanup {
                    Ok(_) => format!("{}; the runner was deleted again", e.message),
                    Err(c) => format!("{}; deleting the runner again failed too: {c}", e.message),
                };
                record.fail(ActionError::new(e.class, message))
            }
        }
    }

    fn start_container(
        &self,
        pool: &str,
        start: &RunnerStart,
        runner_id: u64,
        token: &Secret,
    ) -> Result<String, ActionError> {
        let render = |message: String| ActionError::new(ErrorClass::Render, message);
        let text = super::render::render_real_spec(
            self.templates,
            self.desired,
            pool,
            &start.name,
            &runner_id.to_string(),
            token.expose(),
        )
        .map_err(|e| render(e.to_string()))?;
        let mut spec = ContainerSpec::from_json(&text)
            .map_err(|e| render(format!("the rendered container spec is not usable: {e}")))?;
        // The labels later runs find the container by: set here, whatever the template says,
        // so a custom template cannot leave a container (and its runner token) unowned.
        spec.labels.remove(MAC_LABEL);
        spec.labels.remove(SPEC_LABEL);
        let digest = self
            .desired
            .runner_pools
            .get(pool)
            .and_then(|p| p.spec.as_deref());
        let owner = Ownership::of(self.desired);
        for (label, value) in container_labels(&owner, pool, runner_id, digest) {
            spec.labels.insert(label.into(), value);
        }
        // Named after the runner id, which GitLab never hands out twice.
        let container_name = format!("{}r{runner_id}", super::conventions::runner_prefix(pool));
        let id =
            docker::create_container(self.docker_writer, self.docker_base, &container_name, &spec)
                .map_err(|e| ActionError::api(&e))?;
        if let Err(e) = docker::start_container(self.docker_writer, self.docker_base, &id) {
            // The created container holds the runner token: do not leave it behind.
            let removed = docker::remove_container(self.docker_writer, self.docker_base, &id, true);
            let message = match removed {
                Ok(_) => format!("{e}; the container was removed again"),
                Err(r) => format!("{e}; removing the container again failed too: {r}"),
            };
            return Err(ActionError::new(ErrorClass::of(&e), message));
        }
        Ok(id)
    }

    /// Removes a runner (unless a job landed on it) and its container, or an orphan container.
    pub fn remove(&self, pool: &str, removal: &RunnerRemoval) -> ActionRecord {
        let action = removal_action(removal);
        let mut record = ActionRecord::new(Kind::RunnerPool, pool, action, &removal_name(removal));
        record.runner_id = removal.runner_id;
        record.container_id = removal.container_id.clone();
        if let Some(id) = removal.runner_id {
            match self.remove_runner(id) {
                Ok(Some(note)) if note.starts_with("kept") => {
                    record.note = Some(note);
                    record.outcome = Outcome::Kept;
                    return record;
                }
                Ok(note) => record.note = note,
                Err(e) => return record.fail(e),
            }
        }
        if let Some(container) = &removal.container_id {
            match docker::remove_container(self.docker_writer, self.docker_base, container, true) {
                Ok(Removal::Removed) => {}
                Ok(Removal::AlreadyGone) => record.note = Some("container already gone".into()),
                Err(e) => return record.fail(ActionError::api(&e)),
            }
        }
        record.outcome = Outcome::Done;
        record
    }

    /// Pause, re-check, delete. `Ok(Some("kept …"))` when a job landed meanwhile.
    fn remove_runner(&self, id: u64) -> Result<Option<String>, ActionError> {
        let paused = gitlab::pause_runner(
            self.gitlab_writer,
            self.gitlab_base,
            self.token,
            id,
            REMOVAL_NOTE,
        )
        .map_err(|e| ActionError::api(&e))?;
        if paused == Removal::AlreadyGone {
            // Deleted since the plan was made: nothing to pause or delete; the container
            // still goes.
            return Ok(Some("runner already gone".into()));
        }
        let running = fetch_running_jobs(self.gitlab_reader, self.gitlab_base, self.token, id)
            .map_err(|e| ActionError::api(&e))?;
        if let Some(job) = running.first() {
            let resumed =
                gitlab::resume_runner(self.gitlab_writer, self.gitlab_base, self.token, id);
            let tail = match resumed {
                Ok(()) => "resumed".to_string(),
                Err(e) => format!("resuming it failed: {e}"),
            };
            return Ok(Some(format!(
                "kept: job {} landed on runner {id} between plan and delete; {tail}",
                job.id
            )));
        }
        match gitlab::delete_runner(self.gitlab_writer, self.gitlab_base, self.token, id)
            .map_err(|e| ActionError::api(&e))?
        {
            Removal::Removed => Ok(None),
            Removal::AlreadyGone => Ok(Some("runner already gone".into())),
        }
    }
}

/// Pauses an outdated busy runner for a roll-out: `PUT /runners/:id` with `paused: true` and
/// the roll-out's maintenance note, so it takes no new job while its running one finishes.
/// GitLab's 404 "Runner Not Found" means it is already gone.
pub fn pause_for_rollout(
    (writer, base, token): (&Writer, &str, &Secret),
    pool: &str,
    pause: &RunnerPause,
) -> ActionRecord {
    let target = pause_name(pause);
    let mut record = ActionRecord::new(Kind::RunnerPool, pool, Action::PauseRunner, &target);
    record.runner_id = Some(pause.runner_id);
    match gitlab::pause_runner(writer, base, token, pause.runner_id, ROLLOUT_NOTE) {
        Ok(Removal::Removed) => record.outcome = Outcome::Done,
        Ok(Removal::AlreadyGone) => {
            record.note = Some("runner already gone".into());
            record.outcome = Outcome::Done;
        }
        Err(e) => return record.fail(ActionError::api(&e)),
    }
    record
}
