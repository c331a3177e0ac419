//! `--pool GLOB` / `--exclude-pool GLOB`: which device pools, racks and runner pools a run
//! covers, so that a large estate can be split over several schedules. Applied to the desired
//! state right after loading, before any credential is checked or any API is read: what is
//! left out is not read, planned or acted on. Matching is by hand (`*` any run of characters,
//! `?` one character, nothing else special): pool names are `[A-Za-z0-9._-]`, and a glob crate
//! would bring character classes and escapes nobody needs here.

use super::Desired;

/// The globs a run was given; none means every entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Partition {
    /// Keep only names matching one of these (all when empty).
    pub include: Vec<String>,
    /// Then leave out names matching one of these.
    pub exclude: Vec<String>,
}

impl Partition {
    /// The partition as one label value: the globs, excluded ones after a `!`, or `all`.
    pub fn label(&self) -> String {
        if self.include.is_empty() && self.exclude.is_empty() {
            return "all".to_string();
        }
        let include = self.include.iter().cloned();
        let exclude = self.exclude.iter().map(|glob| format!("!{glob}"));
        include.chain(exclude).collect::<Vec<_>>().join(",")
    }

    /// Removes every entry outside the partition from `desired`. A glob that matches no name
    /// at all, or a partition that leaves nothing, is an error listing the names there are.
    pub fn apply(&self, desired: &mut Desired) -> anyhow::Result<()> {
        let mut names = crate::reconcilers::names_every_kind(desired);
        names.sort_unstable();
        names.dedup();
        let known = || names.join(", ");
        for (flag, globs) in [("--pool", &self.include), ("--exclude-pool", &self.exclude)] {
            if let Some(glob) = globs.iter().find(|g| !names.iter().any(|n| matches(g, n))) {
                anyhow::bail!(
                    "{flag} {glob:?} matches no device pool, rack or runner pool; the names are: {}",
                    known()
                );
            }
        }
        let keep = |name: &String| {
            let included = self.include.is_empty() || self.include.iter().any(|g| matches(g, name));
            included && !self.exclude.iter().any(|g| matches(g, name))
        };
        if !names.iter().any(|n| keep(&n.to_string())) {
            anyhow::bail!(
                "--pool and --exclude-pool leave nothing to plan; the names are: {}",
                known()
            );
        }
        let kept: Vec<String> = names
            .iter()
            .map(|n| n.to_string())
            .filter(|n| keep(n))
            .collect();
        check_groups_whole(desired, &|name| kept.iter().any(|k| k == name))?;
        desired.left_out_pools = (desired.device_pools.iter())
            .filter(|(name, _)| !kept.contains(name))
            .map(|(name, pool)| (name.clone(), pool.clone()))
            .collect();
        crate::reconcilers::retain_every_kind(desired, &|name| kept.iter().any(|k| k == name));
        Ok(())
    }
}

/// Refuses a partition that keeps some pools of a device group and leaves others out: a group's
/// free devices are shared out between all its pools in one plan, so two partitions planning
/// parts of it could give the same device to two pools.
fn check_groups_whole(desired: &Desired, kept: &dyn Fn(&str) -> bool) -> anyhow::Result<()> {
    for group in desired.device_groups.keys() {
        let pools = desired.device_pools.iter();
        let (inside, outside): (Vec<&str>, Vec<&str>) = pools
            .filter(|(_, p)| p.group.as_ref() == Some(group))
            .map(|(name, _)| name.as_str())
            .partition(|name| kept(name));
        if !inside.is_empty() && !outside.is_empty() {
            anyhow::bail!(
                "--pool/--exclude-pool keep {} of device group {group} but leave out {}: a \
                 group's pools share its devices and are planned together; keep all of them \
                 or none",
                inside.join(", "),
                outside.join(", ")
            );
        }
    }
    Ok(())
}

/// Whether `name` matches `glob` as a whole: `*` is any run of characters (none included),
/// `?` exactly one. Allocation-free: selectors run it over every device LambdaTest lists.
pub fn matches(glob: &str, name: &str) -> bool {
    // The literal head settles most non-matches in a few byte compares.
    match glob.find(['*', '?']) {
        None => return glob == name,
        Some(wild) if !name.starts_with(&glob[..wild]) => return false,
        Some(_) => {}
    }
    let first = |s: &str, at: usize| s[at..].chars().next();
    // The classic greedy match with one backtrack point: just after the last `*` seen, and
    // where the name stood then. Positions are byte offsets on character boundaries.
    let (mut g, mut n) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while let Some(c) = first(name, n) {
        match first(glob, g) {
            Some('*') => {
                star = Some((g + 1, n));
                g += 1;
            }
            Some(p) if p == '?' || p == c => {
                g += p.len_utf8();
                n += c.len_utf8();
            }
            _ => match star {
                Some((after_star, from)) => {
                    let skipped = first(name, from).map_or(1, char::len_utf8);
                    g = after_star;
                    n = from + skipped;
                    star = Some((after_star, n));
                }
                None => return false,
            },
        }
    }
    glob[g..].chars().all(|c| c == '*')
}

#[cfg(test)]
#[path = "partition_tests.rs"]
mod tests;
