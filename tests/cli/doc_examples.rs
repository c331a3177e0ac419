//! The shell examples of the README and the manual run as a reader would run them: every
//! fenced block of `$ devicepool …` lines is run through the real binary (offline, or against
//! `devicepool sim serve`) and its output compared with the page's, through the placeholders of
//! docs/development.md ("Checked examples"). An example that cannot run here says why in a
//! marker; none is skipped silently. This module never edits a page.

#[path = "doc_examples/compare.rs"]
mod compare;
#[path = "doc_examples/parse.rs"]
mod parse;

use std::path::Path;

use serde_json::Value;

use crate::docs::{pages, root};
use crate::support::{LabDir, Running, devicepool};
use parse::{Example, Marker, Step};

/// What a scratch directory holds, copied from the repository with the same relative paths.
const COPIED: [&str; 3] = ["plans", "templates", "docs/examples"];

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// A fresh directory holding copies of [`COPIED`], as a checkout would.
fn scratch() -> LabDir {
    let dir = LabDir::new(&[]);
    for tree in COPIED {
        copy_tree(&root().join(tree), &dir.path().join(tree));
    }
    dir
}

/// The fleet `devicepool sim serve` seeded from the first of `desired` (paths relative to
/// `dir`), and every file of `desired` rewritten to point at it: each URL, host or CLI under
/// `sources:` replaced by the info file's (so a `--compare` file reads the same fleet).
/// Returns the server and the credentials it hands out.
fn serve(dir: &Path, desired: &[&str]) -> (Running, Vec<(String, String)>) {
    let server = devicepool(&["sim", "serve", "--info", "fleet.json", "--for", "10m"])
        .args(&["--config", desired[0]])
        .current_dir(dir)
        .spawn_with_stdin();
    let (info, server) = crate::sim_serve::info_of(&dir.join("fleet.json"), server);
    for file in desired {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, point_at(&text, &info["sources"])).unwrap();
    }
    let env = info["env"].as_object().expect("env");
    let env = env
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()));
    (server, env.collect())
}

/// `desired` (block-style YAML) with every `key: value` under `sources.<api>` that the info
/// file's `sources` gives replaced by the info file's value.
fn point_at(desired: &str, sources: &Value) -> String {
    let (mut in_sources, mut api) = (false, String::new());
    let mut out = String::new();
    for line in desired.lines() {
        let indent = line.len() - line.trim_start().len();
        let key = line
            .trim_start()
            .split(':')
            .next()
            .unwrap_or("")
            .to_string();
        if indent == 0 && !line.trim().is_empty() {
            in_sources = key == "sources";
        } else if in_sources && indent == 2 {
            api = key;
        } else if let Some(value) = sources[&api][&key].as_str().filter(|_| in_sources) {
            out.push_str(&format!("{}{key}: {value}\n", &line[..indent]));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Runs `step` in `dir` with `env`; `Err` says how its exit code or output differs from the page.
fn check(dir: &Path, env: &[(String, String)], page: &Path, step: &Step) -> Result<(), String> {
    let place = format!("{}:{}: `{}`", page.display(), step.line, step.text);
    let command = parse::command(&step.text).map_err(|why| {
        format!("{place}: {why}; add `<!-- example: not run (REASON) -->` before the fence")
    })?;
    let args: Vec<&str> = command.args.iter().map(String::as_str).collect();
    let mut invocation = devicepool(&args).current_dir(dir);
    for (name, value) in env.iter().chain(&command.env) {
        invocation = invocation.env(name, value);
    }
    let outcome = invocation.run();
    let shown = dir.to_string_lossy();
    let stdout = compare::normalise(&outcome.stdout, &shown, &step.text);
    let mut actual: Vec<String> = stdout.lines().map(String::from).collect();
    if let Some(n) = command.head {
        actual.truncate(n);
    }
    let stderr = compare::normalise(&outcome.stderr, &shown, &step.text);
    actual.extend(stderr.lines().map(String::from));
    let expected: Vec<String> = step
        .expected
        .iter()
        .map(|line| compare::normalise(line, &shown, &step.text))
        .collect();
    if outcome.code == command.exit && compare::matches(&expected, &actual) {
        return Ok(());
    }
    Err(format!(
        "{place}: exit {} (the page says {}), output (stdout, then stderr):\n{}\n--- the page shows:\n{}\n",
        outcome.code,
        command.exit,
        actual.join("\n"),
        expected.join("\n")
    ))
}

/// Runs `example` of `page`; the problems found.
fn run(page: &Path, example: &Example) -> Vec<String> {
    if let Marker::NotRun(_) = example.marker {
        return Vec::new();
    }
    let dir = scratch();
    let (server, env) = match &example.marker {
        Marker::NotRun(_) | Marker::Offline => (None, Vec::new()),
        Marker::SimulatedFleet => {
            let commands: Vec<parse::Command> = (example.steps.iter())
                .map(|step| parse::command(&step.text).unwrap_or_else(|e| panic!("{e}")))
                .collect();
            let is_desired = |arg: &&String| arg.ends_with(".yaml");
            let first = (commands[0].args.iter().find(is_desired))
                .expect("the first command names its desired state");
            let mut desired = vec![first.as_str()];
            for arg in commands.iter().flat_map(|c| &c.args).filter(is_desired) {
                if !desired.contains(&arg.as_str()) {
                    desired.push(arg);
                }
            }
            let (server, env) = serve(dir.path(), &desired);
            (Some(server), env)
        }
    };
    let problems = example
        .steps
        .iter()
        .filter_map(|step| check(dir.path(), &env, page, step).err())
        .collect();
    if let Some(mut server) = server {
        server.close_stdin();
        server.wait().expect_code(0);
    }
    problems
}

#[test]
fn every_shell_example_in_the_readme_and_the_manual_prints_what_it_shows() {
    let (mut problems, mut checked, mut not_run) = (Vec::new(), 0, Vec::new());
    for page in pages() {
        let text = std::fs::read_to_string(root().join(&page)).unwrap();
        let (examples, unreadable) = parse::examples(&text);
        problems.extend(unreadable.iter().map(|p| format!("{}:{p}", page.display())));
        for (line, example) in examples {
            if let Marker::NotRun(reason) = &example.marker {
                not_run.push(format!("{}:{line}: {reason}", page.display()));
                continue;
            }
            checked += example.steps.len();
            problems.extend(run(&page, &example));
        }
    }
    println!(
        "{checked} commands checked; not run:\n{}",
        not_run.join("\n")
    );
    assert!(
        checked >= 6,
        "only {checked} commands found: is the parser broken?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_example_without_a_check_or_a_reason_is_refused() {
    let page = "Text.\n\n<!-- example: not run -->\n```console\n$ devicepool plan x.yaml\n```\n\
                ```console\noutput first\n$ devicepool schema\n```\n";
    let (examples, problems) = parse::examples(page);
    assert!(examples.is_empty(), "{examples:?}");
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].starts_with("4: marker"), "{problems:?}");
    assert!(
        problems[1].contains("before the block's first `$ `"),
        "{problems:?}"
    );

    let step = |text: &str| Step {
        line: 1,
        text: text.to_string(),
        expected: Vec::new(),
    };
    let dir = scratch();
    for text in [
        "gh attestation verify x",
        "devicepool plan > plan.txt",
        "devicepool schema | wc -l",
    ] {
        let refused = check(dir.path(), &[], Path::new("page.md"), &step(text)).unwrap_err();
        assert!(refused.contains("not run (REASON)"), "{refused}");
    }
}

#[test]
fn a_command_reads_its_environment_filters_and_exit_code() {
    let command =
        parse::command("A=1 devicepool plan 'x y.yaml' --pool 'lt-*' | head -3  # exit 4, held")
            .unwrap();
    assert_eq!(command.env, [("A".to_string(), "1".to_string())]);
    assert_eq!(command.args, ["plan", "x y.yaml", "--pool", "lt-*"]);
    assert_eq!((command.head, command.exit), (Some(3), 4));
}
