//! How racks mark the Testflinger jobs they submit: the owner tag, the `rack:`/`agent:` tags
//! and the fleet markers (`fleet:<fleet>`, with a key `mac:<hex>`), and the tags a job history
//! search finds them by, and the spec tags (`spec:<digest>`, `spec-marked`) that tell which
//! generation of the rack's job a deploy ran. The default fleet's owner tag is the bare `devicepool` jobs carried
//! before fleets existed; a named fleet's is `devicepool-fleet:<fleet>`, so the default
//! fleet, still reading unmarked jobs, never finds a named fleet's. No I/O.

use crate::reconcilers::ownership::{DEFAULT_FLEET, FLEET_PREFIX, Object, Ownership};
use crate::reconcilers::rollout::spec_marker;

/// Tag carried by every job of the default fleet (and by every job made before fleets).
pub const OWNER_TAG: &str = "devicepool";

/// The owner tag of `owner`'s fleet.
fn owner_tag(owner: &Ownership<'_>) -> String {
    if owner.fleet == DEFAULT_FLEET {
        OWNER_TAG.to_string()
    } else {
        format!("devicepool-fleet:{}", owner.fleet)
    }
}

/// Carried by every deploy that carries a spec tag, so one search finds a rack's deploys made
/// since roll-outs existed (a deploy without it has an unknown spec, never an outdated one).
pub const SPEC_MARKED_TAG: &str = "spec-marked";

/// Tags of a deploy job of `rack` on `agent` rendered from `spec`: with a spec, the
/// `spec:<digest>` tag and [`SPEC_MARKED_TAG`] last.
pub fn job_tags(owner: &Ownership<'_>, rack: &str, agent: &str, spec: Option<&str>) -> Vec<String> {
    let mut tags = vec![
        owner_tag(owner),
        format!("rack:{rack}"),
        format!("agent:{agent}"),
    ];
    tags.extend(owner.marks(Object::Deploy, rack, agent));
    if let Some(spec) = spec {
        tags.push(spec_marker(spec));
        tags.push(SPEC_MARKED_TAG.to_string());
    }
    tags
}

/// The two searches (tags all required) that tell a rack's deploys' specs apart: those of
/// `spec`, and those carrying any spec. Only job ids the history searches found are believed.
pub fn spec_search_tags(owner: &Ownership<'_>, rack: &str, spec: &str) -> [Vec<String>; 2] {
    let of_rack = [owner_tag(owner), format!("rack:{rack}")];
    let with = |tag: String| of_rack.iter().cloned().chain([tag]).collect();
    [with(spec_marker(spec)), with(SPEC_MARKED_TAG.to_string())]
}

/// The tags (all required) of our deploys of `rack` on `agent`: the owner tag and agent, then
/// the fleet markers unless unmarked jobs may be ours (the default fleet without a key).
/// Never the spec: deploys of every generation are in the history.
pub fn history_tags(owner: &Ownership<'_>, rack: &str, agent: &str) -> Vec<String> {
    let mut tags = vec![owner_tag(owner), format!("agent:{agent}")];
    if !owner.takes_unmarked() {
        tags.extend(owner.marks(Object::Deploy, rack, agent));
    }
    tags
}

/// True when a job on an agent may claim this fleet's deploys without proving it: with a key
/// (a job with the owner tag but no valid MAC) or with a named fleet (a job tagged the way
/// deploys were before fleets). Then the jobs not ended on the agent are judged by their tags.
pub fn looks_for_claims(owner: &Ownership<'_>) -> bool {
    owner.keyed() || owner.fleet != DEFAULT_FLEET
}

/// Why a job on `agent` that the history search did not find claims this fleet's deploys
/// without proving it, judged from its own `tags`: with a key, it carries the owner tag (so
/// no valid MAC); with a named fleet, it carries the bare `devicepool` and not
/// `fleet:default` (made before fleets). `None`: it claims nothing of ours.
pub fn claim_reason(owner: &Ownership<'_>, agent: &str, tags: &[String]) -> Option<&'static str> {
    let has = |tag: &str| tags.iter().any(|t| t == tag);
    if !has(&format!("agent:{agent}")) {
        return None;
    }
    if owner.keyed() && has(&owner_tag(owner)) {
        return Some("its tags carry no valid ownership MAC for this rack and agent");
    }
    let default_fleet = format!("{FLEET_PREFIX}{DEFAULT_FLEET}");
    if owner.fleet != DEFAULT_FLEET && has(OWNER_TAG) && !has(&default_fleet) {
        return Some(crate::reconcilers::ownership::PRE_FLEET);
    }
    None
}

#[cfg(test)]
#[path = "conventions_tests.rs"]
mod tests;
