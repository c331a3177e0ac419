//! How racks mark the Testflinger jobs they submit: the owner tag, the `rack:`/`agent:` tags
//! and the fleet markers (`fleet:<fleet>`, with a key `mac:<hex>`), and the tags a job history
//! search finds them by. The default fleet's owner tag is the bare `devicepool` jobs carried
//! before fleets existed; a named fleet's is `devicepool-fleet:<fleet>`, so the default
//! fleet, still reading unmarked jobs, never finds a named fleet's. No I/O.

use crate::reconcilers::ownership::{DEFAULT_FLEET, FLEET_PREFIX, Object, Ownership};

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

/// Tags of a deploy job of `rack` on `agent`.
pub fn job_tags(owner: &Ownership<'_>, rack: &str, agent: &str) -> Vec<String> {
    let mut tags = vec![
        owner_tag(owner),
        format!("rack:{rack}"),
        format!("agent:{agent}"),
    ];
    tags.extend(owner.marks(Object::Deploy, rack, agent));
    tags
}

/// The tags (all required) of our deploys of `rack` on `agent`: the owner tag and agent, then
/// the fleet markers unless unmarked jobs may be ours (the default fleet without a key).
pub fn history_tags(owner: &Ownership<'_>, rack: &str, agent: &str) -> Vec<String> {
    let mut tags = vec![owner_tag(owner), format!("agent:{agent}")];
    if !owner.takes_unmarked() {
        tags.extend(owner.marks(Object::Deploy, rack, agent));
    }
    tags
}

/// One search for jobs claiming this fleet's deploys on an agent without proving it.
pub struct ClaimSearch {
    /// The tags (all required) of the jobs that claim.
    pub tags: Vec<String>,
    /// The tags of the jobs among those that are another fleet's, not claims.
    pub except: Option<Vec<String>>,
    /// Why a job found (and not ours) is a look-alike.
    pub why: &'static str,
}

/// The searches for look-alike deploys on `agent`: with a key, every job with this fleet's
/// owner tag (those the history search does not find carry no valid MAC); with a named
/// fleet, every job tagged the way deploys were before fleets, less the default fleet's.
pub fn claim_searches(owner: &Ownership<'_>, agent: &str) -> Vec<ClaimSearch> {
    let on = format!("agent:{agent}");
    let mut searches = Vec::new();
    if owner.keyed() {
        searches.push(ClaimSearch {
            tags: vec![owner_tag(owner), on.clone()],
            except: None,
            why: "its tags carry no valid ownership MAC for this rack and agent",
        });
    }
    if owner.fleet != DEFAULT_FLEET {
        let default_fleet = format!("{FLEET_PREFIX}{DEFAULT_FLEET}");
        searches.push(ClaimSearch {
            tags: vec![OWNER_TAG.to_string(), on.clone()],
            except: Some(vec![OWNER_TAG.to_string(), on, default_fleet]),
            why: crate::reconcilers::ownership::PRE_FLEET,
        });
    }
    searches
}
