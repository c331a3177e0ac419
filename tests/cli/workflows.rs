//! The reconcile workflow hands each step the variables the shipped example plans name: the
//! Plan step every source credential, the Apply step those and every Taskcluster token. Reads
//! the workflow and the plans as YAML; runs nothing.

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
