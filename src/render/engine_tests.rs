//! Unit tests of `render/engine.rs`.

use super::*;

fn render_source(source: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("t.j2"), source).unwrap();
    let env = environment(Some(dir.path().to_path_buf()));
    render_bounded(&env, "t.j2", Value::from(()))
}

#[test]
fn a_long_loop_runs_out_of_fuel() {
    let looped = "{% for a in range(10000) %}{% for b in range(10000) %}{% endfor %}{% endfor %}";
    let error = render_source(looped).unwrap_err();
    assert!(error.contains("was stopped"), "{error}");
}

#[test]
fn a_large_output_stops_at_the_cap() {
    let large = "{% for a in range(1000) %}{{ 'x' * 100000 }}{% endfor %}";
    let error = render_source(large).unwrap_err();
    assert!(error.contains("output passed 1048576 bytes"), "{error}");
    assert_eq!(render_source("{{ 'x' * 3 }}").unwrap(), "xxx");
}

#[test]
fn includes_stay_inside_the_directory() {
    for name in ["../secret.env", "/etc/passwd"] {
        let error = render_source(&format!("{{% include {name:?} %}}")).unwrap_err();
        assert!(
            error.contains("stay inside settings.templates_dir"),
            "{error}"
        );
    }
}
