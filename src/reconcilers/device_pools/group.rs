//! Shared device groups (`device_groups.<name>`) and device selectors, as the desired state
//! writes them, with the rules the schema cannot say. A selector is matched against the device
//! list LambdaTest returns; nothing here reads it. No I/O.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::allocation::Strategy;
use crate::load::Desired;
use crate::load::duration::required as friendly_duration;
pub(crate) use crate::load::partition::matches as glob_matches;
use crate::load::section::{
    Problem, check_durations, check_identifier_list, check_name, check_text, entry_keys, pointer,
};
use crate::snapshot::Device;

/// Devices several device pools share. When the group's free devices cannot cover what its
/// pools want, `allocation` decides who gets them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceGroup {
    /// Device UDIDs in the group. This or `select` is required.
    #[serde(default)]
    pub devices: Vec<String>,
    /// The devices LambdaTest lists that match, instead of `devices`.
    pub select: Option<Selector>,
    /// Who gets the free devices when there are too few for every pool.
    #[serde(default)]
    pub allocation: Strategy,
    /// A device whose last this-many jobs of ours all failed is rested (0: never). Applies
    /// to the group's devices instead of each pool's own setting.
    #[serde(default = "default_failures_before_cooldown")]
    pub failures_before_cooldown: u32,
    /// How long such a device is rested, from its latest failed job.
    #[serde(default = "default_failure_cooldown", with = "friendly_duration")]
    #[schemars(with = "String")]
    pub failure_cooldown: Duration,
}

pub(crate) fn default_failures_before_cooldown() -> u32 {
    3
}

pub(crate) fn default_failure_cooldown() -> Duration {
    Duration::from_secs(3600)
}

/// What to write instead of a value `device_groups.<name>.allocation` no longer takes, when
/// `value` at `pointer` is one: `fail-first` gave the scarce devices first to the pools whose
/// launches kept failing, so a healthy pool got nothing while failing ones took every free
/// device. (In the seed it ran previously failed tests first, which is the test runner's
/// business, not the lab's.)
pub(crate) fn retired(pointer: &str, value: &serde_json::Value) -> Option<String> {
    let mut parts = pointer.split('/');
    let at_allocation = matches!(
        (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next()
        ),
        (
            Some(""),
            Some("device_groups"),
            Some(_),
            Some("allocation"),
            None
        )
    );
    (at_allocation && value.as_str() == Some("fail-first")).then(|| {
        "allocation `fail-first` was removed: it gave scarce devices first to the pools whose \
         launches kept failing, starving the healthy ones. Use `round-robin` (the default; a \
         device whose jobs keep failing is rested by failures_before_cooldown) or `priority` \
         to serve one pool first (docs/device-pools.md#shared-devices)"
            .to_string()
    })
}

/// Picks devices from LambdaTest's list by what it says of them. Every field given must match;
/// `*` matches any run of characters and `?` any one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Selector {
    /// UDID pattern, e.g. `R5CX*`.
    pub udid: Option<String>,
    /// Model name pattern, e.g. `Galaxy A55*`.
    pub name: Option<String>,
    /// Operating system: `android` or `ios`.
    pub os: Option<String>,
    /// Full OS version pattern (LambdaTest's `fullOsVersion`), e.g. `14` or `17.*`.
    pub os_version: Option<String>,
}

impl Selector {
    /// The selector made ready to be tried against many devices.
    pub fn prepare(&self) -> PreparedSelector<'_> {
        let fields = [&self.udid, &self.name, &self.os, &self.os_version];
        PreparedSelector(fields.map(|pattern| pattern.as_deref().map(Pattern::new)))
    }

    /// The UDID pattern when it is the only field: such a selector can be checked against
    /// listed UDIDs without LambdaTest's list.
    pub fn udid_only(&self) -> Option<&str> {
        match self {
            Self {
                udid: Some(udid),
                name: None,
                os: None,
                os_version: None,
            } => Some(udid),
            _ => None,
        }
    }

    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A selector with each pattern prepared once: udid, name, os, os_version.
pub struct PreparedSelector<'a>([Option<Pattern<'a>>; 4]);

impl PreparedSelector<'_> {
    /// Whether LambdaTest's `device` with `udid` is selected: every field given matches.
    pub fn matches(&self, udid: &str, device: &Device) -> bool {
        let values = [udid, &device.name, &device.os, &device.os_version];
        (self.0.iter().zip(values))
            .all(|(pattern, value)| pattern.as_ref().is_none_or(|p| p.fits(value)))
    }
}

/// A pattern and its literal head (what comes before the first `*` or `?`): the head settles
/// most devices with one compare, so a fleet of 60,000 is cheap to select from.
struct Pattern<'a> {
    glob: &'a str,
    head: &'a str,
    /// No `*` or `?` at all: only an equal value fits.
    literal: bool,
}

impl<'a> Pattern<'a> {
    fn new(glob: &'a str) -> Self {
        let head_end = glob.find(['*', '?']);
        Pattern {
            glob,
            head: &glob[..head_end.unwrap_or(glob.len())],
            literal: head_end.is_none(),
        }
    }

    fn fits(&self, value: &str) -> bool {
        if self.literal {
            return value == self.glob;
        }
        value.starts_with(self.head) && glob_matches(self.glob, value)
    }
}

/// The rules the schema cannot say for `device_groups` and the pools' `group`/`select`:
/// each pool takes its devices one way, groups exist and are used, a listed device is not also
/// matched by another pool's or group's UDID pattern.
pub(crate) fn check_groups(desired: &Desired, problems: &mut Vec<Problem>) {
    const SECTION: &str = "device_groups";
    for (name, group) in &desired.device_groups {
        check_name(
            problems,
            SECTION,
            name,
            "a group name",
            "it is shown in plans",
        );
        let why = "a UDID becomes a job label (labels are comma-separated) and a worker id";
        check_identifier_list(
            problems,
            &pointer(SECTION, name, "devices"),
            &group.devices,
            why,
        );
        let durations = [("failure_cooldown", Some(group.failure_cooldown))];
        check_durations(problems, &entry_keys(SECTION, name), &durations);
        check_source(
            problems,
            &pointer(SECTION, name, ""),
            &group.devices,
            &group.select,
        );
        if !desired
            .device_pools
            .values()
            .any(|p| p.group.as_deref() == Some(name))
        {
            problems.push(Problem::at(
                pointer(SECTION, name, "").trim_end_matches('/'),
                format!("group {name} is used by no device pool (set `group: {name}` on one)"),
            ));
        }
    }
    for (name, pool) in &desired.device_pools {
        let here = |key: &str| pointer("device_pools", name, key);
        match &pool.group {
            Some(group) => {
                if !pool.devices.is_empty() || pool.select.is_some() {
                    problems.push(Problem::at(
                        here("group"),
                        "a pool in a group takes the group's devices: drop `devices` and `select`",
                    ));
                }
                if !desired.device_groups.contains_key(group) {
                    let known: Vec<&str> =
                        desired.device_groups.keys().map(String::as_str).collect();
                    problems.push(Problem::at(
                        here("group"),
                        format!(
                            "no device group named {group:?} (device_groups: {})",
                            list(&known)
                        ),
                    ));
                }
            }
            None => check_source(problems, &here(""), &pool.devices, &pool.select),
        }
    }
    check_patterns_against_lists(desired, problems);
}

fn list(names: &[&str]) -> String {
    if names.is_empty() {
        "none".into()
    } else {
        names.join(", ")
    }
}

/// Exactly one of a non-empty `devices` list or a non-empty `select`.
fn check_source(
    problems: &mut Vec<Problem>,
    at: &str,
    devices: &[String],
    select: &Option<Selector>,
) {
    let at = at.strip_suffix('/').unwrap_or(at);
    match (devices.is_empty(), select) {
        (true, None) => problems.push(Problem::at(
            at,
            "no devices: list them in `devices`, pick them with `select`, or join a `group`",
        )),
        (false, Some(_)) => problems.push(Problem::at(
            format!("{at}/select"),
            "`devices` and `select` both given: use one",
        )),
        (true, Some(select)) if select.is_empty() => problems.push(Problem::at(
            format!("{at}/select"),
            "an empty selector would take every device: give udid, name, os or os_version",
        )),
        _ => {}
    }
    if let Some(select) = select {
        let patterns = [
            ("udid", &select.udid),
            ("name", &select.name),
            ("os", &select.os),
            ("os_version", &select.os_version),
        ];
        for (key, pattern) in patterns {
            if let Some(pattern) = pattern {
                let why = "it is matched against the devices LambdaTest lists";
                check_text(problems, format!("{at}/select/{key}"), pattern, why);
            }
        }
    }
}

/// A UDID listed by one pool or group and matched by another's UDID-only pattern would be
/// claimed by both: refused here rather than found at plan time.
fn check_patterns_against_lists(desired: &Desired, problems: &mut Vec<Problem>) {
    let pools = desired
        .device_pools
        .iter()
        .filter(|(_, p)| p.group.is_none());
    let pools = pools.map(|(n, p)| {
        (
            format!("pool {n}"),
            pointer("device_pools", n, "devices"),
            &p.devices,
            &p.select,
        )
    });
    let groups = desired.device_groups.iter();
    let groups = groups.map(|(n, g)| {
        (
            format!("group {n}"),
            pointer("device_groups", n, "devices"),
            &g.devices,
            &g.select,
        )
    });
    let owners: Vec<_> = pools.chain(groups).collect();
    for (owner, at, devices, _) in &owners {
        for (other, _, _, select) in &owners {
            let Some(pattern) = select.as_ref().and_then(Selector::udid_only) else {
                continue;
            };
            if other == owner {
                continue;
            }
            for (i, udid) in devices.iter().enumerate() {
                if glob_matches(pattern, udid) {
                    problems.push(Problem::at(
                        format!("{at}/{i}"),
                        format!(
                            "device {udid} of {owner} also matches {other}'s select.udid \
                             {pattern:?}; a device belongs to one pool or group"
                        ),
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
