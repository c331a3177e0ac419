//! Which devices each pool and group may use: its `devices` list, or the devices of
//! LambdaTest's list its `select` matches. A device two owners claim is used by neither and
//! shown as contested. Pure: the device list is passed in.

use std::collections::BTreeMap;

use super::group::Selector;
use crate::load::{Desired, identifier_flaw};
use crate::snapshot::Device;

/// Who owns a set of devices: a pool outside any group, or a group.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Owner {
    Pool(String),
    Group(String),
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Pool(name) => write!(f, "pool {name}"),
            Self::Group(name) => write!(f, "group {name}"),
        }
    }
}

/// Every owner's devices, and the devices claimed by more than one owner.
#[derive(Debug, Default)]
pub struct Membership {
    /// Listed devices in the order written, then selected ones in UDID order.
    pub devices: BTreeMap<Owner, Vec<String>>,
    /// Devices claimed by several owners, with all of them.
    pub contested: BTreeMap<String, Vec<Owner>>,
    /// Selected devices whose UDID cannot be a job label, and why.
    pub unusable: BTreeMap<String, &'static str>,
}

impl Membership {
    /// The devices of `owner` (empty for an unknown owner).
    pub fn devices_of(&self, owner: &Owner) -> &[String] {
        self.devices.get(owner).map_or(&[], Vec::as_slice)
    }

    /// The other owners of a contested device, for its detail line.
    pub fn rivals(&self, udid: &str, owner: &Owner) -> Option<String> {
        let owners = self.contested.get(udid)?;
        let others: Vec<String> = owners
            .iter()
            .filter(|o| *o != owner)
            .map(Owner::to_string)
            .collect();
        Some(others.join(", "))
    }
}

/// Resolves every owner's devices against LambdaTest's `listed` devices.
pub fn resolve(desired: &Desired, listed: &BTreeMap<String, Device>) -> Membership {
    // Pools a partition left out still claim their devices.
    let every_pool = desired.device_pools.iter().chain(&desired.left_out_pools);
    let pools = every_pool.filter(|(_, p)| p.group.is_none());
    let pools = pools.map(|(n, p)| (Owner::Pool(n.clone()), &p.devices, &p.select));
    let groups = desired.device_groups.iter();
    let groups = groups.map(|(n, g)| (Owner::Group(n.clone()), &g.devices, &g.select));
    let mut membership = Membership::default();
    let mut owners_of: BTreeMap<&str, Vec<Owner>> = BTreeMap::new();
    for (owner, devices, select) in pools.chain(groups) {
        let mut mine: Vec<String> = devices.clone();
        if let Some(select) = select {
            for udid in selected(select, listed) {
                // A listed UDID was checked by `load`; one LambdaTest sends is checked here.
                if let Some(flaw) = identifier_flaw(&udid) {
                    membership.unusable.insert(udid.clone(), flaw);
                }
                mine.push(udid);
            }
        }
        membership.devices.insert(owner, mine);
    }
    for (owner, mine) in &membership.devices {
        for udid in mine {
            owners_of.entry(udid).or_default().push(owner.clone());
        }
    }
    membership.contested = owners_of
        .into_iter()
        .filter(|(_, owners)| owners.len() > 1)
        .map(|(udid, owners)| (udid.to_string(), owners))
        .collect();
    membership
}

/// The UDIDs of `listed` that `select` matches, in UDID order.
fn selected<'a>(
    select: &'a Selector,
    listed: &'a BTreeMap<String, Device>,
) -> impl Iterator<Item = String> + 'a {
    listed
        .iter()
        .filter(|(udid, device)| select.matches(udid, device))
        .map(|(udid, _)| udid.clone())
}

#[cfg(test)]
#[path = "membership_tests.rs"]
mod tests;
