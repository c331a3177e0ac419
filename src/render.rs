//! RENDER: job files from minijinja templates (strict undefined, no auto-escaping, trailing
//! newline kept). Templates are read once by `Templates::load`; rendering itself is pure.
//! Secrets are rendered as `<redacted>` unless the caller hands in the real values.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::{Environment, UndefinedBehavior, context, value::Value};

use crate::apply::docker::ContainerSpec;
use crate::load::Desired;
use crate::plan::{Plan, PoolStatus};
use crate::secret::{REDACTED, Secret};

/// The built-in templates, used when `settings.templates_dir` has no file of that name.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "hyperexecute.yaml.j2",
        include_str!("../templates/hyperexecute.yaml.j2"),
    ),
    (
        "testflinger-deploy.yaml.j2",
        include_str!("../templates/testflinger-deploy.yaml.j2"),
    ),
    (
        "gitlab-runner.json.j2",
        include_str!("../templates/gitlab-runner.json.j2"),
    ),
];

/// Loaded templates, ready to render.
pub struct Templates {
    env: Environment<'static>,
}

/// A template that could not be read or rendered.
#[derive(Debug, thiserror::Error)]
#[error("template {name}: {message}")]
pub struct RenderError {
    pub name: String,
    pub message: String,
}

impl Templates {
    /// Reads every template the pools of `desired` name, from `dir` or the built-ins.
    pub fn load(dir: &Path, desired: &Desired) -> Result<Self, RenderError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .keep_trailing_newline(true)
            .build()
            .expect("default syntax with trailing newlines is valid");
        env.set_syntax(syntax);
        // `tojson` escapes `<` and `>` for HTML; job files are YAML, so strings are quoted
        // with plain JSON string syntax (valid YAML) instead.
        env.add_filter("quote", |text: String| {
            serde_json::to_string(&text).expect("strings serialise")
        });
        let mut names: Vec<&str> = desired
            .device_pools
            .values()
            .map(|p| p.template.as_str())
            .chain(desired.racks.values().map(|r| r.template.as_str()))
            .chain(desired.runner_pools.values().map(|p| p.template.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            let path = dir.join(name);
            let source = if path.is_file() {
                std::fs::read_to_string(&path).map_err(|e| RenderError {
                    name: name.to_string(),
                    message: format!("cannot read {}: {e}", path.display()),
                })?
            } else if let Some((_, text)) = BUILT_IN.iter().find(|(n, _)| *n == name) {
                (*text).to_string()
            } else {
                return Err(RenderError {
                    name: name.to_string(),
                    message: format!("not found in {} and not a built-in template", dir.display()),
                });
            };
            env.add_template_owned(name.to_string(), source)
                .map_err(|e| RenderError {
                    name: name.to_string(),
                    message: format!("{e:#}"),
                })?;
        }
        Ok(Self { env })
    }

    /// Renders the job file of every planned start. A pool whose template fails is held.
    /// `tokens` maps pool name → Taskcluster access token; without it secrets are redacted.
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
                    self.render(&pool.template, ctx)
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
    /// held. Deploy jobs hold no secrets.
    pub fn render_racks(&self, desired: &Desired, plan: &mut Plan) {
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
                    self.render(&rack.template, ctx)
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
                |start| self.render_runner_spec(desired, pool_name, &start.name, "<new>", REDACTED),
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

    /// One runner's container spec (JSON) for `pool`, with the given runner id and token;
    /// an error if it is not a container spec devicepool can pass on whole.
    pub fn render_runner_spec(
        &self,
        desired: &Desired,
        pool_name: &str,
        name: &str,
        runner_id: &str,
        token: &str,
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
        let text = self.render(&pool.template, ctx)?;
        // Refused here, so `plan` already holds the pool, rather than a key silently lost.
        ContainerSpec::from_json(&text).map_err(|e| RenderError {
            name: pool.template.clone(),
            message: format!("not a usable container spec: {e}"),
        })?;
        Ok(text)
    }

    fn render(&self, name: &str, ctx: Value) -> Result<String, RenderError> {
        let fail = |e: minijinja::Error| RenderError {
            name: name.to_string(),
            message: format!("{e:#}"),
        };
        self.env
            .get_template(name)
            .map_err(fail)?
            .render(ctx)
            .map_err(fail)
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
