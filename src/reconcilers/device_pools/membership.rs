//! Which devices each pool and group may use: its `devices` list, or the devices of
//! LambdaTest's list its `select` matches. A device two owners claim is used by neither and
//! shown as contested. Pure: the device list is passed in.

use std::collections::{BTreeMap, HashMap};

use super::group::{PreparedSelector, Selector};
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

/// Resolves every owner's devices against LambdaTest's `listed` devices. Each listed device
/// is visited once and tried against every selector while it is at hand (a fleet of 60,000
/// devices is far larger than the cache; the selectors are not).
pub fn resolve(desired: &Desired, listed: &BTreeMap<String, Device>) -> Membership {
    // Pools a partition left out still claim their devices.
    let every_pool = desired.device_pools.iter().chain(&desired.left_out_pools);
    let pools = every_pool.filter(|(_, p)| p.group.is_none());
    let pools = pools.map(|(n, p)| (Owner::Pool(n.clone()), &p.devices, &p.select));
    let groups = desired.device_groups.iter();
    let groups = groups.map(|(n, g)| (Owner::Group(n.clone()), &g.devices, &g.select));
    let owners: Vec<(Owner, &Vec<String>, &Option<Selector>)> = pools.chain(groups).collect();
    let mut lists: Vec<Vec<String>> = owners.iter().map(|(_, l, _)| l.to_vec()).collect();
    let selecting: Vec<(usize, PreparedSelector<'_>)> = (owners.iter().enumerate())
        .filter_map(|(i, (_, _, select))| select.as_ref().map(|s| (i, s.prepare())))
        .collect();
    let mut membership = Membership::default();
    if !selecting.is_empty() {
        for (udid, device) in listed {
            for (i, select) in &selecting {
                let i = *i;
                if select.matches(udid, device) {
                    // A listed UDID was checked by `load`; one LambdaTest sends is checked here.
                    if let Some(flaw) = identifier_flaw(udid) {
                        membership.unusable.insert(udid.clone(), flaw);
                    }
                    lists[i].push(udid.clone());
                }
            }
        }
    }
    // Who claims each device. Hashed for speed; the result is sorted into a BTreeMap.
    let mut owners_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, list) in lists.iter().enumerate() {
        for udid in list {
            owners_of.entry(udid).or_default().push(i);
        }
    }
    membership.contested = owners_of
        .into_iter()
        .filter(|(_, claimants)| claimants.len() > 1)
        .map(|(udid, claimants)| {
            let claimants = claimants.iter().map(|&i| owners[i].0.clone()).collect();
            (udid.to_string(), claimants)
        })
        .collect();
    membership.devices = owners
        .into_iter()
        .map(|(owner, ..)| owner)
        .zip(lists)
        .collect();
    membership
}

#[cfg(test)]
#[path = "membership_tests.rs"]
mod tests;
