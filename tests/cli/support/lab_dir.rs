//! A lab's temporary directory that, when dropped, fails the test if any file left in it
//! (other than the ones the test wrote itself) holds a secret. Every lab keeps its files in
//! one, so no test can forget the scan.

use std::path::{Path, PathBuf};

use super::files_under;
use super::secret_guard;

pub(crate) struct LabDir {
    dir: tempfile::TempDir,
    /// Files the test wrote (desired state, fake CLI): they name variables, and are not output.
    written_by_test: Vec<PathBuf>,
}

impl LabDir {
    /// A fresh directory; `written_by_test` are paths relative to it left out of the scan.
    pub(crate) fn new(written_by_test: &[&str]) -> LabDir {
        let dir = tempfile::tempdir().expect("temp dir");
        let written_by_test = written_by_test.iter().map(|f| dir.path().join(f)).collect();
        LabDir {
            dir,
            written_by_test,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `Err` naming every file left here that holds a secret.
    pub(crate) fn scan(&self) -> Result<(), String> {
        let mut leaks = Vec::new();
        for file in files_under(self.path()) {
            if self.written_by_test.contains(&file) {
                continue;
            }
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            let place = format!("file {}", file.display());
            if let Err(leak) = secret_guard::check(&place, &String::from_utf8_lossy(&bytes)) {
                leaks.push(leak);
            }
        }
        if leaks.is_empty() {
            Ok(())
        } else {
            Err(leaks.join("\n"))
        }
    }
}

impl Drop for LabDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Err(leaks) = self.scan() {
            panic!("{leaks}");
        }
    }
}

#[test]
fn a_secret_left_on_disk_fails_the_test_when_the_lab_goes() {
    let lab = LabDir::new(&["config.yaml"]);
    std::fs::write(lab.path().join("config.yaml"), "token_env: GITLAB_TOKEN\n").unwrap();
    std::fs::create_dir_all(lab.path().join("state/jobs")).unwrap();
    std::fs::write(
        lab.path().join("state/jobs/job.yaml"),
        format!("key: {}\n", devicepool_sim::SIM_ACCESS_KEY),
    )
    .unwrap();
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(lab)));
    let message = *dropped
        .expect_err("the drop panics")
        .downcast::<String>()
        .unwrap();
    assert!(
        message.contains("LambdaTest access key (sim-…)"),
        "{message}"
    );
    assert!(message.contains("state/jobs/job.yaml"), "{message}");

    let clean = LabDir::new(&["config.yaml"]);
    std::fs::write(
        clean.path().join("config.yaml"),
        format!("written by the test: {}\n", devicepool_sim::SIM_ACCESS_KEY),
    )
    .unwrap();
    assert_eq!(clean.scan(), Ok(()), "the test's own files are not output");
}
