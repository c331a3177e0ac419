//! The ownership key stays out of every file devicepool writes (issue 18): the saved plan, the
//! recorded snapshot (which carries only a fingerprint of the key), the state directory and
//! the apply report; and a snapshot replays only for the key it was read with.

use crate::support::{Lab, files_under, pool};

const KEY: &str = "lab-ownership-key-0123456789";
const OTHER_KEY: &str = "another-lab-key-9876543210";

#[test]
fn the_ownership_key_is_in_no_file_or_report_and_a_snapshot_replays_only_for_its_key() {
    let lab = Lab::new(vec![pool("a55", 3, 2)]);
    let yaml = lab.config_yaml().replacen(
        "settings:\n",
        "settings:\n  ownership_key_env: OWN_KEY\n  state_dir: state\n",
        1,
    );
    std::fs::write(&lab.config, yaml).unwrap();
    let with_key = |args: &[&str], key: &str| lab.command(args).env("OWN_KEY", key).run();
    let config = lab.config_arg();
    let planned = with_key(
        &[
            "plan",
            config,
            "--out",
            "plan.json",
            "--record",
            "snap.json",
        ],
        KEY,
    );
    assert_eq!(planned.code, 0, "{planned:?}");
    let applied = with_key(&["apply", config, "--format", "json"], KEY);
    assert_eq!(applied.code, 0, "{applied:?}");
    assert!(
        applied.stdout.contains("mac:"),
        "the report shows what was sent"
    );
    let mut files = vec![lab.path("plan.json"), lab.path("snap.json")];
    let state = files_under(&lab.path("plans/state"));
    assert!(!state.is_empty(), "apply wrote nothing to state_dir");
    files.extend(state);
    for file in &files {
        let bytes = std::fs::read(file).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(KEY), "{} holds the key", file.display());
    }
    for out in [&planned, &applied] {
        assert!(!out.stdout.contains(KEY) && !out.stderr.contains(KEY));
    }
    let snapshot: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lab.path("snap.json")).unwrap()).unwrap();
    let print = snapshot["read_with"]["judged_for"]["key_fingerprint"]
        .as_str()
        .unwrap();
    assert_eq!(print.len(), 8, "{print}");

    // The same key replays it; another key is refused, naming neither key.
    let replay = |key: &str| {
        with_key(
            &[
                "plan",
                config,
                "--from-snapshot",
                "snap.json",
                "--format",
                "json",
            ],
            key,
        )
    };
    assert_eq!(replay(KEY).code, 0);
    let refused = replay(OTHER_KEY);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains(&format!("with the key of fingerprint {print}")),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains(KEY) && !refused.stderr.contains(OTHER_KEY));
}
