//! The plan `devicepool render` shows: each kind's preview (one start per device pool, one
//! deploy per rack, one runner start per runner pool), made without reading any API. Pure.

use jiff::Timestamp;

use super::Origin;
use super::model::{PLAN_FORMAT, Plan};
use crate::load::Desired;
use crate::reconcilers::Preview;

/// A plan of one example action per entry (or only `preview.only`), made without reading any
/// API: what `devicepool render` shows.
pub fn preview(desired: &Desired, origin: &Origin, preview: &Preview<'_>) -> Plan {
    let mut plan = Plan {
        format: PLAN_FORMAT,
        devicepool: env!("CARGO_PKG_VERSION").to_string(),
        config_path: origin.config_path.clone(),
        config_hash: origin.config_hash.clone(),
        snapshot_at: Timestamp::UNIX_EPOCH,
        expires_at: Timestamp::UNIX_EPOCH,
        ..Plan::default()
    };
    crate::reconcilers::preview_every_kind(desired, preview, &mut plan);
    plan
}
