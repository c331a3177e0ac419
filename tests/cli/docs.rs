//! The README and the manual under `docs/` hold together: every relative link points at a file
//! that exists and, with a `#fragment`, at a heading that exists; the README stays a front page
//! whose test command is the one CI runs; the manual's index (docs/README.md) links every page.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub(crate) fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page under docs/, as paths relative to the repository root.
pub(crate) fn pages() -> Vec<PathBuf> {
    let mut pages = vec![PathBuf::from("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.expect("readable docs/ entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| {
            path.strip_prefix(root())
                .expect("under the root")
                .to_path_buf()
        })
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// The page's lines outside fenced code blocks.
fn prose(text: &str) -> Vec<&str> {
    let mut fenced = false;
    let mut lines = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced {
            lines.push(line);
        }
    }
    lines
}

/// Targets of inline links `[text](target)` in the page's prose, one entry per link.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    for line in prose(text) {
        let mut rest = line;
        while let Some(start) = rest.find("](") {
            let after = &rest[start + 2..];
            let Some(end) = after.find(')') else { break };
            targets.push(after[..end].to_string());
            rest = &after[end..];
        }
    }
    targets
}

/// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, and a
/// `-1`, `-2`… suffix for repeats.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    for line in prose(text) {
        let Some(heading) = line.strip_prefix('#') else {
            continue;
        };
        let heading = heading.trim_start_matches('#');
        if !heading.starts_with(' ') {
            continue;
        }
        let slug: String = heading
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let mut candidate = slug.clone();
        let mut n = 0;
        while seen.contains(&candidate) {
            n += 1;
            candidate = format!("{slug}-{n}");
        }
        seen.insert(candidate);
    }
    seen
}

/// Resolves `target` against the directory of `page` (both relative to the root), folding
/// `..` so that the result names the file as the repository does.
fn resolve(page: &Path, target: &str) -> PathBuf {
    let mut parts: Vec<String> = page
        .parent()
        .map(|dir| {
            dir.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            name => parts.push(name.to_string()),
        }
    }
    parts.iter().collect()
}

#[test]
fn every_relative_link_in_the_readme_and_the_manual_resolves() {
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(root().join(&page)).expect("readable page");
        for target in link_targets(&text) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            checked += 1;
            let (path, fragment) = match target.split_once('#') {
                Some((path, fragment)) => (path, Some(fragment)),
                None => (target.as_str(), None),
            };
            let file = if path.is_empty() {
                page.clone()
            } else {
                resolve(&page, path)
            };
            let on_disk = root().join(&file);
            if !on_disk.exists() {
                broken.push(format!(
                    "{}: ({target}): no file {}",
                    page.display(),
                    file.display()
                ));
                continue;
            }
            if let Some(fragment) = fragment {
                let headings = anchors(&std::fs::read_to_string(&on_disk).unwrap_or_default());
                if !headings.contains(fragment) {
                    broken.push(format!(
                        "{}: ({target}): {} has no heading #{fragment}",
                        page.display(),
                        file.display()
                    ));
                }
            }
        }
    }
    assert!(
        checked > 40,
        "only {checked} relative links found: is the parser broken?"
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_is_a_front_page_whose_test_command_ci_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let lines = readme.lines().count();
    assert!(
        lines < 200,
        "README.md has {lines} lines; move detail into docs/"
    );
    let words = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("read with [serde-saphyr]") && words.contains("not serde_yaml"),
        "the README says YAML is read with serde-saphyr, not serde_yaml"
    );
    let test_command = readme
        .lines()
        .find_map(|line| line.strip_prefix("cargo test"))
        .map(|rest| {
            format!(
                "cargo test{}",
                rest.split('#').next().unwrap_or("").trim_end()
            )
        })
        .expect("the README gives the test command");
    let ci = std::fs::read_to_string(root().join(".ci/run")).expect(".ci/run");
    assert!(
        ci.lines().any(|line| line.trim() == test_command),
        "`.ci/run` does not run the README's test command `{test_command}`"
    );
}

#[test]
fn the_manuals_index_links_every_page_of_the_manual() {
    let index = std::fs::read_to_string(root().join("docs/README.md")).expect("docs/README.md");
    let linked: HashSet<String> = link_targets(&index)
        .into_iter()
        .map(|target| target.split('#').next().unwrap_or("").to_string())
        .collect();
    let missing: Vec<String> = pages()
        .iter()
        .filter_map(|page| page.strip_prefix("docs").ok())
        .map(|page| page.to_string_lossy().into_owned())
        .filter(|page| page != "README.md" && !linked.contains(page))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/README.md does not link {missing:?}"
    );
}

#[test]
fn the_anchor_rule_matches_github() {
    let text = "# Why Docker Engine API 1.44 to 1.52\n## Why serde-saphyr and not serde_yaml\n\
                ```\n# not a heading\n```\n## Set up\n## Set up\n#nospace\n";
    let found = anchors(text);
    for expected in [
        "why-docker-engine-api-144-to-152",
        "why-serde-saphyr-and-not-serde_yaml",
        "set-up",
        "set-up-1",
    ] {
        assert!(
            found.contains(expected),
            "{expected} missing from {found:?}"
        );
    }
    assert_eq!(found.len(), 4, "{found:?}");
}

/// The rows of the `## Limits` table of docs/operations.md.
fn limits_table() -> String {
    let text = std::fs::read_to_string(root().join("docs/operations.md")).unwrap();
    let start = text
        .find("\n## Limits\n")
        .expect("operations.md has a Limits section");
    let section = &text[start + 1..];
    let end = section[3..].find("\n## ").map_or(section.len(), |i| i + 3);
    section[..end].to_string()
}

#[test]
fn operations_lists_every_limit_devicepool_enforces_with_its_value() {
    use devicepool::render;
    let table = limits_table();
    let mib = |bytes: u64| format!("{} MiB", bytes / (1024 * 1024));
    let thousands = |n: u64| {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let expected = [
        mib(devicepool::load::MAX_INPUT_BYTES),
        format!(
            "{} per pool",
            devicepool::reconcilers::schedule::MAX_PERIODS
        ),
        format!("{} instructions per render", thousands(render::FUEL)),
        format!("{} per job file", mib(render::MAX_OUTPUT_BYTES as u64)),
        format!("{} of address space", mib(render::MAX_RENDER_MEMORY)),
        format!("{} s", render::RENDER_DEADLINE.as_secs()),
        format!("{} s over its life", render::MAX_WORKER_CPU_SECONDS),
        format!(
            "a wall-clock cap of {} s",
            render::RENDER_WALL_CAP.as_secs()
        ),
        format!("{} s in all", render::RENDER_BUDGET.as_secs()),
        format!(
            "at most {} days",
            devicepool::load::MAX_DURATION.as_secs() / 86_400
        ),
    ];
    for value in expected {
        assert!(table.contains(&value), "no {value:?} in:\n{table}");
    }
}
