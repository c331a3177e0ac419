//! How racks mark the Testflinger jobs they submit: the owner tag and the `rack:`/`agent:`
//! tags a job history search finds them by. No I/O.

/// Tag carried by every job devicepool submits.
pub const OWNER_TAG: &str = "devicepool";

/// Tags of a deploy job of `rack` on `agent`.
pub fn job_tags(rack: &str, agent: &str) -> Vec<String> {
    vec![
        OWNER_TAG.to_string(),
        format!("rack:{rack}"),
        format!("agent:{agent}"),
    ]
}
