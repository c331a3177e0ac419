//! The plan as data: versioned, serialisable (`plan --out`), with every action and every
//! decision not to act carrying its reason and the numbers behind it. No logic here beyond
//! naming a state in the plan's own words.

use crate::reconcilers::record::Kind;
use jiff::Timestamp;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use crate::reconcilers::device_pools::model::*;
pub use crate::reconcilers::racks::model::*;
pub use crate::reconcilers::runner_pools::model::*;
pub use crate::reconcilers::{KindPlan, PerKind, PoolStatus, word_of};

/// Version of the plan file format; `apply --plan` refuses any other.
pub const PLAN_FORMAT: u32 = 2;

/// What a run would do. Saved with `plan --out`, it only selects which of a fresh plan's
/// actions `apply --plan` may carry out: every value sent comes from the fresh plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Plan file format version.
    pub format: u32,
    /// Version of devicepool that made the plan.
    pub devicepool: String,
    /// The desired-state file the plan was made from.
    pub config_path: String,
    /// SHA-256 digest of that file (`sha256:<hex>`); `apply --plan` refuses a plan made from
    /// another file.
    pub config_hash: String,
    /// When the world was read.
    #[schemars(with = "String")]
    pub snapshot_at: Timestamp,
    /// `snapshot_at` + `settings.plan_lifetime`, for the reader. `apply --plan` does not trust
    /// it: it works the expiry out again from the current desired state.
    #[schemars(with = "String")]
    pub expires_at: Timestamp,
    /// Planned from a recorded snapshot (`plan --from-snapshot`): for review only, refused by
    /// `apply --plan`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
    /// Schedules were read at this time (`DEVICEPOOL_NOW`) rather than at `snapshot_at`,
    /// which still judged everything else: a preview, refused by `apply --plan`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub preview_at: Option<Timestamp>,
    /// One entry per device pool, by name.
    pub device_pools: Vec<DevicePoolPlan>,
    /// Each device group's devices, once (device pools in a group list only their share).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub device_groups: Vec<DeviceGroupPlan>,
    /// One entry per rack, by name.
    #[serde(default)]
    pub racks: Vec<RackPlan>,
    /// One entry per runner pool, by name.
    #[serde(default)]
    pub runner_pools: Vec<RunnerPoolPlan>,
    /// Why each entry was decided as it was, in plan order: the chain of numbers and rules
    /// `devicepool explain` prints (its per-device lines are the entries' own lists).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub explanations: Vec<Explanation>,
    /// Objects that look like this fleet's but cannot prove it (no valid ownership MAC, half
    /// the labels, an old runner name with no container of ours here): never counted,
    /// touched or removed; listed for an operator to look at.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub look_alikes: Vec<crate::snapshot::LookAlike>,
}

/// The chain of numbers and rules behind one entry's decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Explanation {
    pub kind: Kind,
    pub name: String,
    /// One step a line.
    pub lines: Vec<String>,
}

/// A plan's entries of each kind.
pub type PlanKinds<'a> = PerKind<&'a [DevicePoolPlan], &'a [RackPlan], &'a [RunnerPoolPlan]>;

/// A plan's entries of each kind, to fill or cut.
pub type PlanKindsMut<'a> =
    PerKind<&'a mut Vec<DevicePoolPlan>, &'a mut Vec<RackPlan>, &'a mut Vec<RunnerPoolPlan>>;

impl Plan {
    /// The entries of each kind. It names every field of `Plan`, so a kind added to the plan
    /// does not build until [`PerKind`] has it too, and then neither does any list of the
    /// kinds that leaves it out.
    pub fn kinds(&self) -> PlanKinds<'_> {
        let Plan {
            format: _,
            devicepool: _,
            config_path: _,
            config_hash: _,
            snapshot_at: _,
            expires_at: _,
            replayed: _,
            preview_at: _,
            device_pools,
            device_groups: _,
            racks,
            runner_pools,
            explanations: _,
            look_alikes: _,
        } = self;
        PerKind {
            device_pools,
            racks,
            runner_pools,
        }
    }

    /// The entries of each kind, mutable.
    pub fn kinds_mut(&mut self) -> PlanKindsMut<'_> {
        PerKind {
            device_pools: &mut self.device_pools,
            racks: &mut self.racks,
            runner_pools: &mut self.runner_pools,
        }
    }

    /// Replaces the entries of each kind.
    pub fn set_kinds(
        &mut self,
        kinds: PerKind<Vec<DevicePoolPlan>, Vec<RackPlan>, Vec<RunnerPoolPlan>>,
    ) {
        let PerKind {
            device_pools,
            racks,
            runner_pools,
        } = kinds;
        (self.device_pools, self.racks, self.runner_pools) = (device_pools, racks, runner_pools);
    }

    /// Every entry of every kind, in plan order: device pools, racks, runner pools.
    pub fn entries(&self) -> impl Iterator<Item = &dyn KindPlan> {
        let PerKind {
            device_pools,
            racks,
            runner_pools,
        } = self.kinds();
        let pools = device_pools.iter().map(|p| p as &dyn KindPlan);
        let racks = racks.iter().map(|r| r as &dyn KindPlan);
        let runner_pools = runner_pools.iter().map(|p| p as &dyn KindPlan);
        pools.chain(racks).chain(runner_pools)
    }

    /// Every entry of every kind, mutable, in the same order as [`Plan::entries`].
    pub fn entries_mut(&mut self) -> impl Iterator<Item = &mut dyn KindPlan> {
        let PerKind {
            device_pools,
            racks,
            runner_pools,
        } = self.kinds_mut();
        let pools = device_pools.iter_mut().map(|p| p as &mut dyn KindPlan);
        let racks = racks.iter_mut().map(|r| r as &mut dyn KindPlan);
        let runner_pools = runner_pools.iter_mut().map(|p| p as &mut dyn KindPlan);
        pools.chain(racks).chain(runner_pools)
    }
}
