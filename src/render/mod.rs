//! RENDER: job files from minijinja templates (strict undefined, no auto-escaping, trailing
//! newline kept, bounded by fuel and an output cap: see `render/engine.rs`). The binary
//! renders in a worker process with a memory limit and a deadline (`render/sandbox.rs`), so a
//! template that would exhaust either fails its own render only. Templates are read by
//! `load_templates`; rendering reads no file but the templates' `include`s. A file rendered
//! to be shown has every known secret value `<redacted>`; only apply asks for real values.

use std::path::PathBuf;

use minijinja::{Environment, value::Value};

use crate::load::{ConfigError, Desired, Loaded};
use crate::secret::Redactor;

mod engine;
mod sandbox;
mod worker;

pub use engine::{FUEL, MAX_OUTPUT_BYTES, render_untrusted};
pub use sandbox::{RENDER_BUDGET, RENDER_DEADLINE, RENDER_WALL_CAP, render_in_workers};
pub use worker::{MAX_RENDER_MEMORY, MAX_WORKER_CPU_SECONDS, serve_if_asked};

/// Loaded templates, ready to render.
pub struct Templates {
    env: Environment<'static>,
    /// The template directory, as the worker is told it.
    dir: Option<PathBuf>,
    /// Where renders run when the binary named itself worker program; in-process otherwise.
    sandbox: Option<sandbox::Sandbox>,
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
        let env = engine::environment(dir.clone());
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
            let sandbox = sandbox::worker_command()
                .map(|command| sandbox::Sandbox::new(command, sandbox::Bounds::RUN));
            Ok(Self {
                env,
                dir,
                sandbox,
                redactor,
            })
        } else {
            Err(errors)
        }
    }

    /// Renders one file within the fuel and size bounds; shown files are redacted.
    pub(crate) fn render(
        &self,
        name: &str,
        ctx: Value,
        exposure: Exposure,
    ) -> Result<String, RenderError> {
        // An error message may quote what the template was given: never a secret.
        let rendered = match &self.sandbox {
            Some(sandbox) => sandbox.render(self.dir.clone(), name, ctx),
            None => engine::render_bounded(&self.env, name, ctx),
        };
        let text = rendered.map_err(|message| RenderError {
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
pub(crate) fn render_all<T>(
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
