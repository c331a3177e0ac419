//! RENDER: job files from minijinja templates (strict undefined, no auto-escaping, trailing
//! newline kept, bounded by fuel and an output cap: see `render/engine.rs`). Templates are
//! read by `load_templates`; rendering reads no file but the templates' `include`s. A file
//! rendered to be shown has every known secret value `<redacted>`; only apply asks for
//! real values.

use std::collections::BTreeMap;
use std::path::PathBuf;

use minijinja::{Environment, context, value::Value};

use crate::clients::docker::write::ContainerSpec;
use crate::load::{ConfigError, Desired, Loaded};
use crate::plan::{Plan, PoolStatus};
use crate::secret::{REDACTED, Redactor, Secret};

mod engine;

pub use engine::{FUEL, MAX_OUTPUT_BYTES, render_untrusted};

/// Loaded templates, ready to render.
pub struct Templates {
    env: Environment<'static>,
    /// Scrubs known secrets out of every job file rendered to be shown or saved.
    redactor: Redactor,
}

/// A template that could not be read or rendered.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {message}")]
pub struct RenderError {
    pub name: String,
    pub message: String,
}

/// Whether a rendered file is shown (printed, saved in a plan: every known secret value is
/// `<redacted>`) or handed to what runs it (real values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exposure {
    Shown,
    Real,
}

/// Reads the templates `loaded` names. A missing `settings.templates_dir`, or a template
/// that cannot be found or does not parse, is a configuration error at the key that names
/// it: no pool is planned from a half-readable set of templates.
pub fn load_templates(loaded: &Loaded, redactor: Redactor) -> Result<Templates, ConfigError> {
    let dir = loaded
        .desired
        .settings
        .templates_dir
        .as_ref()
        .map(|d| loaded.resolve(d));
    if let Some(dir) = dir.as_ref().filter(|d| !d.is_dir()) {
        return Err(loaded.invalid_at(vec![(
            "/settings/templates_dir".to_string(),
            format!("{} is not a directory", dir.display()),
        )]));
    }
    Templates::load(dir, &loaded.desired, redactor).map_err(|errors| {
        let keys = crate::load::template_keys(&loaded.desired);
        loaded.invalid_at(errors.iter().flat_map(|e| {
            keys.iter()
                .filter(|(_, name)| *name == e.name)
                .map(|(pointer, _)| (pointer.clone(), e.message.clone()))
                .collect::<Vec<_>>()
        }))
    })
}

impl Templates {
    /// Reads and parses every template the pools of `desired` name, from `dir` or the
    /// built-ins; every one that fails is returned.
    pub fn load(
        dir: Option<PathBuf>,
        desired: &Desired,
        redactor: Redactor,
    ) -> Result<Self, Vec<RenderError>> {
        let env = engine::environment(dir);
        let mut names: Vec<&str> = crate::load::template_keys(desired)
            .into_iter()
            .map(|(_, name)| name)
            .collect();
        names.sort_unstable();
        names.dedup();
        let errors: Vec<RenderError> = names
            .into_iter()
            .filter_map(|name| {
                let error = match env.get_template(name) {
                    Ok(_) => return None,
                    Err(e) if e.kind() == minijinja::ErrorKind::TemplateNotFound => format!(
                        "template {name:?} is not in settings.templates_dir and not a built-in"
                    ),
                    Err(e) => format!("template {name:?}: {e:#}"),
                };
                Some(RenderError {
                    name: name.to_string(),
                    message: error,
                })
            })
            .collect();
        if errors.is_empty() {
            Ok(Self { env, redactor })
        } else {
            Err(errors)
        }
    }

    /// Renders the job file of every planned start. A pool whose template fails is held.
    /// `tokens` maps pool name → Taskcluster access token; without it the file is for
    /// showing: the token and every other known secret value are `<redacted>`.
    pub fn render_plan(
        &self,
        desired: &Desired,
        plan: &mut Plan,
        tokens: Option<&BTreeMap<String, Secret>>,
    ) {
        let root_url = desired
            .sources
            .taskcluster
            .as_ref()
            .map_or("", |tc| tc.root_url.as_str());
        for pool_plan in &mut plan.device_pools {
            let Some(pool) = desired.device_pools.get(&pool_plan.pool) else {
                continue;
            };
            let exposure = if tokens.is_some() {
                Exposure::Real
            } else {
                Exposure::Shown
            };
            let token = tokens
                .and_then(|t| t.get(&pool_plan.pool))
                .map_or(REDACTED, Secret::expose);
            let (provisioner_id, worker_type) = pool.task_queue.split_once('/').unwrap_or_default();
            let pool_name = &pool_plan.pool;
            let rendered = render_all(
                &mut pool_plan.starts,
                |start| {
                    let ctx = context! {
                        pool => pool_name,
                        task_queue => &pool.task_queue,
                        provisioner_id,
                        worker_type,
                        udid => &start.udid,
                        labels => &start.labels,
                        taskcluster => context! { root_url, client_id => &pool.client_id, access_token => token },
                        vars => Value::from(minijinja::value::Serde(&pool.vars)),
                    };
                    self.render(&pool.template, ctx, exposure)
                },
                |start, text| start.job_file = text,
            );
            if let Err(e) = rendered {
                hold(&mut pool_plan.status, &mut pool_plan.reason, "job file", &e);
                pool_plan.starts.clear();
            }
        }
    }

    /// Renders the deploy job of every planned rack deploy. A rack whose template fails is
    /// held. Deploy jobs are given no secrets, but a template may still include one.
    pub fn render_racks(&self, desired: &Desired, plan: &mut Plan, exposure: Exposure) {
        for rack_plan in &mut plan.racks {
            let Some(rack) = desired.racks.get(&rack_plan.rack) else {
                continue;
            };
            let rack_name = &rack_plan.rack;
            let rendered = render_all(
                &mut rack_plan.deploys,
                |deploy| {
                    let ctx = context! {
                        rack => rack_name,
                        agent => &deploy.agent,
                        job_queue => &deploy.queue,
                        tags => &deploy.tags,
                        provision_data => Value::from(minijinja::value::Serde(&rack.provision_data)),
                        reserve_data => Value::from(minijinja::value::Serde(&rack.reserve_data)),
                        test_data => Value::from(minijinja::value::Serde(&rack.test_data)),
                        global_timeout => rack.global_timeout.map(|d| d.as_secs()),
                        output_timeout => rack.output_timeout.map(|d| d.as_secs()),
                    };
                    let text = self.render(&rack.template, ctx, exposure)?;
                    crate::reconcilers::racks::deploy_job::check_deploy_job(
                        &text,
                        &deploy.queue,
                        &deploy.tags,
                    )
                    .map_err(|message| RenderError {
                        name: rack.template.clone(),
                        message,
                    })?;
                    Ok(text)
                },
                |deploy, text| deploy.job_file = text,
            );
            if let Err(e) = rendered {
                hold(&mut rack_plan.status, &mut rack_plan.reason, "job file", &e);
                rack_plan.deploys.clear();
            }
        }
    }

    /// Renders every planned runner's container spec with the token redacted and the runner
    /// id not yet known. A pool whose template fails is held.
    pub fn render_runner_pools(&self, desired: &Desired, plan: &mut Plan) {
        for pool_plan in &mut plan.runner_pools {
            let pool_name = &pool_plan.pool;
            let rendered = render_all(
                &mut pool_plan.starts,
                |start| {
                    let runner = (start.name.as_str(), "<new>", REDACTED);
                    self.runner_spec(desired, pool_name, runner, Exposure::Shown)
                },
                |start, text| start.container_spec = text,
            );
            if let Err(e) = rendered {
                hold(
                    &mut pool_plan.status,
                    &mut pool_plan.reason,
                    "container spec",
                    &e,
                );
                pool_plan.starts.clear();
                pool_plan.removals.clear();
            }
        }
    }

    /// One runner's container spec (JSON) for `pool`, with the given runner id and real
    /// token, to create the container with; an error if it is not a container spec
    /// devicepool can pass on whole.
    pub fn render_runner_spec(
        &self,
        desired: &Desired,
        pool_name: &str,
        name: &str,
        runner_id: &str,
        token: &str,
    ) -> Result<String, RenderError> {
        let runner = (name, runner_id, token);
        self.runner_spec(desired, pool_name, runner, Exposure::Real)
    }

    /// A container spec for `runner` (name, id, token) of `pool_name`.
    fn runner_spec(
        &self,
        desired: &Desired,
        pool_name: &str,
        (name, runner_id, token): (&str, &str, &str),
        exposure: Exposure,
    ) -> Result<String, RenderError> {
        let missing = || RenderError {
            name: pool_name.to_string(),
            message: "no such runner pool".into(),
        };
        let pool = desired.runner_pools.get(pool_name).ok_or_else(missing)?;
        let gitlab_url = desired
            .sources
            .gitlab
            .as_ref()
            .map_or("", |g| g.url.as_str());
        let ctx = context! {
            pool => pool_name,
            name,
            image => &pool.image,
            gitlab_url,
            runner_token => token,
            runner_id,
            nano_cpus => (pool.cpus * 1e9).round() as i64,
            memory_bytes => memory_bytes(&pool.memory),
            network => &pool.network,
            docker_socket => &pool.docker_socket,
            tags => &pool.tags,
        };
        let text = self.render(&pool.template, ctx, exposure)?;
        // Refused here, so `plan` already holds the pool, rather than a key silently lost.
        ContainerSpec::from_json(&text).map_err(|e| RenderError {
            name: pool.template.clone(),
            message: format!("not a usable container spec: {e}"),
        })?;
        Ok(text)
    }

    /// Renders one file within the fuel and size bounds; shown files are redacted.
    fn render(&self, name: &str, ctx: Value, exposure: Exposure) -> Result<String, RenderError> {
        // An error message may quote what the template was given: never a secret.
        let text = engine::render_bounded(&self.env, name, ctx).map_err(|message| RenderError {
            name: name.to_string(),
            message: self.redactor.redact(&message),
        })?;
        Ok(match exposure {
            Exposure::Shown => self.redactor.redact(&text),
            Exposure::Real => text,
        })
    }
}

/// Renders every item; the first failure stops and is returned.
fn render_all<T>(
    items: &mut [T],
    mut render: impl FnMut(&T) -> Result<String, RenderError>,
    store: impl Fn(&mut T, String),
) -> Result<(), RenderError> {
    for item in items {
        let text = render(item)?;
        store(item, text);
    }
    Ok(())
}

/// Holds a pool or rack whose `what` could not be rendered.
fn hold(status: &mut PoolStatus, reason: &mut String, what: &str, error: &RenderError) {
    *reason = format!("cannot render {what}: {error}");
    *status = PoolStatus::Held {
        reason: reason.clone(),
    };
}

/// `6g` → bytes (k, m, g are powers of 1024; no suffix means bytes).
fn memory_bytes(text: &str) -> i64 {
    let (digits, unit) = text.split_at(
        text.trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .len(),
    );
    let n: i64 = digits.parse().unwrap_or(0);
    match unit.to_ascii_lowercase().as_str() {
        "k" => n << 10,
        "m" => n << 20,
        "g" => n << 30,
        _ => n,
    }
}
