//! How devicepool runs the `hyperexecute` CLI (issue 19): every launch turns the CLI's
//! self-update off, since concurrent launches race on that update.

use crate::support::{Lab, pool};

/// The `hyperexecute` CLI updates itself unless told not to, and concurrent launches race on
/// that update: devicepool passes `--disable-updates` to every launch.
#[test]
fn every_launch_turns_the_cli_self_update_off() {
    let mut lab = Lab::new(vec![pool("a55", 3, 3)]);
    let argv = lab.path("argv.log");
    lab.wrap_cli(|cli| format!("echo \"$@\" >> '{}'\nexec {cli} \"$@\"\n", argv.display()));
    lab.run(&["apply", lab.config_arg()]).expect_code(0);
    let lines = std::fs::read_to_string(&argv).unwrap();
    assert_eq!(lines.lines().count(), 3, "{lines}");
    assert!(
        lines
            .lines()
            .all(|l| l.split(' ').any(|a| a == "--disable-updates")),
        "{lines}"
    );
    assert_eq!(lab.fleet.lambdatest.launches().len(), 3);
}
