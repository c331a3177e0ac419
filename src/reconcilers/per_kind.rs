//! [`PerKind`]: one value for each kind, each in its own named field. Every list of the kinds
//! builds or destructures one with every field named (never `..`), so a list that leaves a
//! kind out does not build. Plain data: no kind's logic lives here.

/// One value per kind of thing devicepool keeps busy, in plan order. A new kind adds a field
/// here; every place that builds or destructures a `PerKind` then fails to build until it
/// says what the new kind does there. `Plan::kinds`, `Desired::kinds` name every field of
/// their struct, so a kind added to them must be added here too.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PerKind<D, R, P> {
    pub device_pools: D,
    pub racks: R,
    pub runner_pools: P,
}

impl<T> PerKind<Vec<T>, Vec<T>, Vec<T>> {
    /// Every kind's items, one kind after the other, in plan order.
    pub fn concat(self) -> Vec<T> {
        let PerKind {
            device_pools,
            racks,
            runner_pools,
        } = self;
        let mut all = device_pools;
        all.extend(racks);
        all.extend(runner_pools);
        all
    }
}

#[cfg(test)]
#[path = "per_kind_tests.rs"]
mod tests;
