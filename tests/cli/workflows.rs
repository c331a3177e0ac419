//! The workflows as shipped: reconcile hands each step the variables the example plans name
//! (the Plan step every source credential, the Apply step those and every Taskcluster token);
//! release attests every binary it publishes with a SHA-pinned action, and the manual shows
//! how to check it. Reads the files as YAML and text; runs nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(root().join(path)).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every `*_env` key under `value` with the variable it names, e.g. `("access_token_env",
/// "gecko_t_lambda_unit_a55")`.
fn env_keys(value: &Value, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                match inner {
                    Value::String(name) if key.ends_with("_env") => {
                        found.push((key.clone(), name.clone()))
                    }
                    _ => env_keys(inner, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| env_keys(item, found)),
        _ => {}
    }
}

/// The names of the `env:` of the reconcile job's step called `step`.
fn step_env(workflow: &Value, step: &str) -> BTreeSet<String> {
    let steps = workflow["jobs"]["reconcile"]["steps"]
        .as_array()
        .expect("the reconcile job has steps");
    let found = steps
        .iter()
        .find(|s| s["name"] == step)
        .unwrap_or_else(|| panic!("no step {step:?}"));
    found["env"]
        .as_object()
        .unwrap_or_else(|| panic!("step {step:?} has no env"))
        .keys()
        .cloned()
        .collect()
}

#[test]
fn reconcile_steps_get_every_variable_the_example_plans_name() {
    let workflow = yaml(Path::new(".github/workflows/reconcile.yml"));
    let plan_env = step_env(&workflow, "Plan");
    let apply_env = step_env(&workflow, "Apply");
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root().join("plans"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("-example.yaml"))
        .collect();
    examples.sort();
    assert!(examples.len() >= 3, "{examples:?}");
    let mut missing = Vec::new();
    let mut tokens = 0;
    for example in &examples {
        let mut found = Vec::new();
        env_keys(&yaml(example), &mut found);
        for (key, name) in found {
            // Taskcluster tokens are needed to apply only; plan never claims work.
            let taskcluster = key == "access_token_env";
            tokens += usize::from(taskcluster);
            if !taskcluster && !plan_env.contains(&name) {
                missing.push(format!(
                    "Plan lacks {name} ({key} in {})",
                    example.display()
                ));
            }
            if !apply_env.contains(&name) {
                missing.push(format!(
                    "Apply lacks {name} ({key} in {})",
                    example.display()
                ));
            }
        }
    }
    assert!(
        tokens >= 7,
        "the LambdaTest example names its pools' tokens"
    );
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn release_attests_every_binary_before_publishing_and_the_manual_shows_the_check() {
    let workflow = yaml(Path::new(".github/workflows/release.yml"));
    let jobs = &workflow["jobs"];
    let (name, job) = jobs
        .as_object()
        .unwrap()
        .iter()
        .find(|(_, job)| {
            job["steps"].as_array().is_some_and(|steps| {
                steps.iter().any(|s| {
                    s["uses"]
                        .as_str()
                        .is_some_and(|u| u.starts_with("actions/attest-build-provenance@"))
                })
            })
        })
        .expect("a job attests build provenance");
    let step = job["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.contains("attest-build-provenance"))
        })
        .unwrap();
    let pin = step["uses"].as_str().unwrap().split('@').nth(1).unwrap();
    assert!(
        pin.len() == 40 && pin.bytes().all(|b| b.is_ascii_hexdigit()),
        "pinned by full commit SHA, not {pin:?}"
    );
    assert_eq!(job["permissions"]["id-token"], "write", "{job}");
    assert_eq!(job["permissions"]["attestations"], "write", "{job}");
    assert!(job["permissions"]["contents"] != "write", "{job}");
    // The subjects are the binaries the build matrix makes, by the name the release uses.
    let subjects = step["with"]["subject-path"].as_str().unwrap();
    let targets = jobs["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap();
    for target in targets {
        let binary = format!("dist/devicepool-{}", target["target"].as_str().unwrap());
        assert!(
            glob_matches(subjects, &binary),
            "{subjects} misses {binary}"
        );
        assert!(
            !glob_matches(subjects, &format!("{binary}.sha256")),
            "{subjects}"
        );
    }
    let needs = &jobs["publish"]["needs"];
    assert!(
        needs
            .as_array()
            .is_some_and(|n| n.iter().any(|j| j == name.as_str())),
        "publish waits for {name}: {needs}"
    );
    let manual = std::fs::read_to_string(root().join("docs/operations.md")).unwrap();
    let checksum = manual
        .find("sha256sum --check --strict devicepool-")
        .unwrap();
    let verify = manual[checksum..].lines().nth(1).unwrap_or_default();
    assert!(
        verify
            .trim_start()
            .starts_with("gh attestation verify devicepool-")
            && verify.contains("--repo <owner>/<repo>"),
        "the line after the checksum: {verify:?}"
    );
}

/// Whether `path` matches `pattern`, whose only wildcard is `*` (any run of characters).
fn glob_matches(pattern: &str, path: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == path,
        Some((head, tail)) => {
            path.starts_with(head)
                && (0..=path.len() - head.len())
                    .any(|skip| glob_matches(tail, &path[head.len() + skip..]))
        }
    }
}
