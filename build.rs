//! Build script: records the commit the binary was built from as `DEVICEPOOL_COMMIT`, shown by
//! `devicepool --version`. `$DEVICEPOOL_COMMIT` wins (for builds without `.git`, such as a
//! container build); otherwise `git rev-parse --short HEAD`; otherwise "unknown", so a build
//! from a source tarball or without git still succeeds.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=DEVICEPOOL_COMMIT");
    let commit = std::env::var("DEVICEPOOL_COMMIT")
        .ok()
        .filter(|c| is_plain(c))
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]).filter(|c| is_plain(c)))
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=DEVICEPOOL_COMMIT={commit}");
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it names (a commit).
    // Only paths that exist are named: a missing one would make cargo rerun this every build.
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch]));
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    }
    for path in watched.into_iter().flatten() {
        if Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}

/// A git command's trimmed output, or `None` when git is missing or fails (not a checkout).
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(std::env::var_os("CARGO_MANIFEST_DIR")?)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// A commit id fit for a version line: hex digits (and dashes), nothing that could inject.
fn is_plain(commit: &str) -> bool {
    !commit.is_empty()
        && commit.len() <= 40
        && commit
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-')
}
