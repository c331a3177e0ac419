//! Foreign text in text output: an escape sequence or a newline in an API's error body, a
//! recorded snapshot or a saved plan is printed escaped, so it can neither drive the
//! operator's terminal nor fake a line of the plan; JSON keeps the bytes.

use devicepool_sim::Fault;

use crate::support::{Lab, devicepool, pool};

/// An OSC title change, a bell and a screen clear, as a hostile or broken upstream sends them.
const HOSTILE: &str = "\u{1b}]0;pwned\u{7}\u{1b}[2Jboom";

/// Adds `tail` to every string of `value` that mentions `marker`.
fn append_where(value: &mut serde_json::Value, marker: &str, tail: &str) {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains(marker) => s.push_str(tail),
        Value::Array(items) => items.iter_mut().for_each(|v| append_where(v, marker, tail)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|v| append_where(v, marker, tail)),
        _ => {}
    }
}

fn assert_escaped(text: &str) {
    assert!(!text.contains('\u{1b}'), "raw ESC in: {text:?}");
    assert!(!text.contains('\u{7}'), "raw BEL in: {text:?}");
    assert!(text.contains("\\u{1b}]0;pwned\\u{7}"), "{text}");
}

#[test]
fn escape_sequences_and_newlines_from_foreign_text_are_shown_escaped() {
    let lab = Lab::new(vec![pool("a55", 2, 1), pool("p7", 1, 1)]);
    lab.fleet.taskcluster.server().inject(
        "GET",
        "/api/queue/v1/task-queues/proj-autophone/gecko-t-p7",
        Fault::status(500).with_body(HOSTILE),
    );
    let live = lab.run(&[
        "plan",
        lab.config_arg(),
        "--record",
        "snap.json",
        "--out",
        "plan.json",
    ]);
    live.expect_code(4);
    assert_escaped(&live.stdout);
    // The apply report's held line too.
    let applied = lab.run(&["apply", lab.config_arg(), "--yes"]);
    assert!(applied.stdout.contains("held   p7"), "{}", applied.stdout);
    assert_escaped(&applied.stdout);
    // The saved plan keeps the bytes; `show` escapes them.
    let saved = std::fs::read_to_string(lab.path("plan.json")).unwrap();
    assert!(saved.contains("\\u001b]0;pwned"), "{saved}");
    let shown = devicepool(&["show", "plan.json"])
        .current_dir(lab.dir.path())
        .run();
    shown.expect_code(0);
    assert_escaped(&shown.stdout);

    // A recording edited to carry a newline and a fake line after the error.
    let path = lab.path("snap.json");
    let mut recording: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    append_where(&mut recording, "pwned", "\nPlan: 99 start, 0 held.");
    std::fs::write(&path, recording.to_string()).unwrap();
    let replayed = devicepool(&["plan", lab.config_arg(), "--from-snapshot", "snap.json"])
        .current_dir(lab.dir.path())
        .run();
    replayed.expect_code(4);
    assert_escaped(&replayed.stdout);
    assert!(
        !replayed.stdout.lines().any(|l| l.starts_with("Plan: 99")),
        "a faked line: {}",
        replayed.stdout
    );
    assert!(
        replayed.stdout.contains("\\nPlan: 99 start"),
        "{}",
        replayed.stdout
    );
    let explained = devicepool(&[
        "explain",
        "p7",
        lab.config_arg(),
        "--from-snapshot",
        "snap.json",
    ])
    .current_dir(lab.dir.path())
    .run();
    assert!(!explained.stdout.contains('\u{1b}'), "{}", explained.stdout);
}

#[test]
fn the_confirmation_of_a_saved_plan_escapes_its_text() {
    use crate::support::udid;
    let lab = Lab::new(vec![pool("a55", 2, 2)]);
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(0);
    let path = lab.path("plan.json");
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    plan["device_pools"][0]["starts"][0]["labels"] =
        serde_json::json!([HOSTILE, "tcdp", udid("a55", 1)]);
    std::fs::write(&path, plan.to_string()).unwrap();
    let out = lab
        .command(&["apply", lab.config_arg(), "--plan", "plan.json"])
        .run_in_terminal("no\n");
    out.expect_code(1);
    assert!(out.stdout.contains("skipped a55"), "{}", out.stdout);
    assert_escaped(&out.stdout);
    assert!(lab.fleet.lambdatest.launches().is_empty());

    // A saved plan of another desired state: its path and hash are shown escaped.
    plan["config_path"] = serde_json::json!(format!("{HOSTILE}.yaml"));
    plan["config_hash"] = serde_json::json!(format!("sha256:{HOSTILE}"));
    std::fs::write(&path, plan.to_string()).unwrap();
    let out = lab.run(&["apply", lab.config_arg(), "--plan", "plan.json", "--yes"]);
    out.expect_code(1);
    assert!(
        out.stderr.contains("another desired state"),
        "{}",
        out.stderr
    );
    assert_escaped(&out.stderr);
}

#[test]
fn line_separators_and_invisible_marks_in_a_saved_plan_are_shown_escaped() {
    let lab = Lab::new(vec![pool("p7", 1, 1)]);
    lab.fleet.taskcluster.server().inject(
        "GET",
        "/api/queue/v1/task-queues/proj-autophone/gecko-t-p7",
        Fault::status(500).with_body("broken"),
    );
    lab.run(&["plan", lab.config_arg(), "--out", "plan.json"])
        .expect_code(4);
    let path = lab.path("plan.json");
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    append_where(
        &mut plan,
        "broken",
        "\u{2028}Plan: 99 start\u{2029}two\u{61c}three",
    );
    std::fs::write(&path, plan.to_string()).unwrap();
    let out = devicepool(&["show", "plan.json"])
        .current_dir(lab.dir.path())
        .run();
    out.expect_code(0);
    for c in ['\u{2028}', '\u{2029}', '\u{61c}'] {
        assert!(!out.stdout.contains(c), "raw {c:?} in: {}", out.stdout);
    }
    assert!(
        out.stdout
            .contains("broken\\u{2028}Plan: 99 start\\u{2029}two\\u{61c}three"),
        "{}",
        out.stdout
    );
}
