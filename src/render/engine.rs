//! The minijinja environment job files are rendered with, and its bounds: templates (and
//! their `include`s) come only from inside `settings.templates_dir` or the built-ins, each
//! render has a fuel budget and a cap on its output, which stops the render as it is hit.
//! Reads template files; never writes.

use std::io;
use std::path::{Path, PathBuf};

use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, value::Value};

use crate::load::check_template_name;

/// Instructions one render may run: the shipped templates use about 1,000; a loop that
/// would run for minutes stops here in milliseconds.
pub const FUEL: u64 = 200_000;

/// Largest rendered job file or container spec, in bytes.
pub const MAX_OUTPUT_BYTES: usize = 1024 * 1024;

/// The built-in templates, used when `settings.templates_dir` has no file of that name.
const BUILT_IN: &[(&str, &str)] = &[
    (
        "hyperexecute.yaml.j2",
        include_str!("../../templates/hyperexecute.yaml.j2"),
    ),
    (
        "testflinger-deploy.yaml.j2",
        include_str!("../../templates/testflinger-deploy.yaml.j2"),
    ),
    (
        "gitlab-runner.json.j2",
        include_str!("../../templates/gitlab-runner.json.j2"),
    ),
];

/// A bounded environment whose templates come from `dir` (already checked to be a
/// directory), then the built-ins.
pub(super) fn environment(dir: Option<PathBuf>) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_fuel(Some(FUEL));
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
    let root = dir.map(|d| d.canonicalize().unwrap_or(d));
    env.set_loader(move |name| read_template(root.as_deref(), name));
    env
}

/// The source of template `name`: a file inside `root`, else a built-in, else none. A name
/// that leaves `root` (absolute, `..`, a symlink pointing out) is an error, never read.
fn read_template(root: Option<&Path>, name: &str) -> Result<Option<String>, Error> {
    let refuse = |why: String| Err(Error::new(ErrorKind::InvalidOperation, why));
    if let Err(why) = check_template_name(name) {
        return refuse(format!(
            "template name {name:?} {why}; templates stay inside settings.templates_dir"
        ));
    }
    if let Some(root) = root {
        let path = root.join(name);
        if let Ok(real) = path.canonicalize() {
            if !real.starts_with(root) {
                return refuse(format!(
                    "template {name:?} leads outside settings.templates_dir"
                ));
            }
            if real.is_file() {
                // Bounded like every file devicepool is handed: a regular file of 16 MiB at most.
                return crate::load::read_input(&real).map(Some).map_err(|e| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!("cannot read {}: {e}", real.display()),
                    )
                });
            }
        }
    }
    Ok(BUILT_IN
        .iter()
        .find(|(built_in, _)| *built_in == name)
        .map(|(_, text)| (*text).to_string()))
}

/// Renders `name` with `ctx`, stopping as soon as the output passes [`MAX_OUTPUT_BYTES`].
pub(super) fn render_bounded(
    env: &Environment<'static>,
    name: &str,
    ctx: Value,
) -> Result<String, String> {
    let template = env.get_template(name).map_err(|e| explain(&e))?;
    let mut out = CappedBuffer::default();
    match template.render_captured_to(ctx, &mut out) {
        Ok(_) => String::from_utf8(out.bytes).map_err(|_| "output is not UTF-8".to_string()),
        Err(_) if out.overflowed => Err(format!(
            "output passed {MAX_OUTPUT_BYTES} bytes (the largest job file devicepool renders)"
        )),
        Err(e) => Err(explain(&e)),
    }
}

/// Renders an untrusted template `source` with a fixed device-pool context, no template
/// directory (the built-ins can be included) and the same bounds as a job file. The fuzz
/// target `templates` feeds it directly; it must give `Ok` or `Err`, never hang or panic.
pub fn render_untrusted(source: &str) -> Result<String, String> {
    let mut env = environment(None);
    env.add_template_owned("untrusted.j2".to_string(), source.to_string())
        .map_err(|e| explain(&e))?;
    let ctx = minijinja::context! {
        pool => "a55",
        task_queue => "proj-autophone/gecko-t-a55",
        udid => "R5CX1A2B3C",
        labels => ["tcdp", "a55", "R5CX1A2B3C"],
        taskcluster => minijinja::context! {
            root_url => "https://tc.example",
            client_id => "project/autophone/a55",
            access_token => crate::secret::REDACTED,
        },
        vars => minijinja::context! { queue_timeout => 600 },
        tags => ["devicepool", "rack:rack-a", "agent:a1"],
        provision_data => minijinja::context! { distro => "noble" },
    };
    render_bounded(&env, "untrusted.j2", ctx)
}

/// A render error in words an operator can act on.
fn explain(error: &Error) -> String {
    match error.kind() {
        ErrorKind::OutOfFuel => {
            format!("rendering took more than {FUEL} steps (a loop too long?) and was stopped")
        }
        // Not `{error:#}`: its "referenced variables" dump would print the context's
        // values, real secrets included when apply renders for real.
        _ => error.to_string(),
    }
}

/// Collects output until it would pass [`MAX_OUTPUT_BYTES`], then fails every write.
#[derive(Default)]
struct CappedBuffer {
    bytes: Vec<u8>,
    overflowed: bool,
}

impl io::Write for CappedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_OUTPUT_BYTES {
            self.overflowed = true;
            return Err(io::Error::other("rendered output too large"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
