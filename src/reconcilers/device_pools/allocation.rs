//! How a shared device group's free devices are split between its pools when they cannot
//! cover every pool's want: four strategies, each pure and deterministic (ties go to the
//! earlier claim, i.e. the pool name first in order). No I/O, no clock, no randomness.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::reconcilers::share_round_robin;

/// A group's `allocation`: who gets the free devices when there are too few.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Strictly by `priority`, highest first: a pool gets nothing while a higher one still
    /// wants more.
    Priority,
    /// One device at a time to each pool that still wants one, in turn (fair share).
    #[default]
    RoundRobin,
    /// In proportion to each pool's uncovered want, largest remainder first; sums exactly.
    Proportional,
    /// Each pool's `min_devices` first, then the rest in proportion to `weight`.
    Weighted,
}

impl Strategy {
    /// The name the desired state uses.
    pub fn label(self) -> &'static str {
        match self {
            Self::Priority => "priority",
            Self::RoundRobin => "round-robin",
            Self::Proportional => "proportional",
            Self::Weighted => "weighted",
        }
    }
}

/// One pool's claim on its group's free devices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Claim {
    /// min(uncovered demand, the pool's cap): what the pool would start given enough devices.
    pub want: u32,
    /// `priority` strategy: higher first.
    pub priority: i32,
    /// `weighted` strategy: share of what is left after the minimums.
    pub weight: u32,
    /// `weighted` strategy: devices guaranteed before weights apply.
    pub minimum: u32,
}

/// How many of `free` devices each claim gets. Never more than a claim wants; the grants sum
/// to exactly min(free, total want); the same input always gives the same grants.
pub fn allocate(strategy: Strategy, free: u32, claims: &[Claim]) -> Vec<u32> {
    let wants: Vec<u32> = claims.iter().map(|c| c.want).collect();
    let total: u64 = wants.iter().map(|&w| u64::from(w)).sum();
    if u64::from(free) >= total {
        return wants;
    }
    match strategy {
        Strategy::Priority => {
            let mut grants = vec![0; claims.len()];
            let mut left = free;
            for i in order_by(claims, |c| i64::from(c.priority)) {
                grants[i] = wants[i].min(left);
                left -= grants[i];
            }
            grants
        }
        Strategy::RoundRobin => share_round_robin(free, &wants),
        Strategy::Proportional => {
            let basis: Vec<u64> = wants.iter().map(|&w| u64::from(w)).collect();
            share_largest_remainder(free, &basis)
        }
        Strategy::Weighted => allocate_weighted(free, claims),
    }
}

/// Claim indices, highest `key` first; equal keys keep their order.
fn order_by(claims: &[Claim], key: impl Fn(&Claim) -> i64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..claims.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(key(&claims[i])));
    order
}

/// Minimums first (shared in proportion to the minimums when even they cannot all be met),
/// then the rest by weight, again and again until every device is given or every want met.
fn allocate_weighted(free: u32, claims: &[Claim]) -> Vec<u32> {
    let minimums: Vec<u64> = claims
        .iter()
        .map(|c| u64::from(c.minimum.min(c.want)))
        .collect();
    if minimums.iter().sum::<u64>() >= u64::from(free) {
        return share_largest_remainder(free, &minimums);
    }
    let mut grants: Vec<u32> = minimums.iter().map(|&m| m as u32).collect();
    let mut left = free - grants.iter().sum::<u32>();
    // Each round either gives out everything left or fills at least one pool, so this ends.
    while left > 0 {
        let basis: Vec<u64> = claims
            .iter()
            .zip(&grants)
            .map(|(c, &g)| {
                if g < c.want {
                    u64::from(c.weight.max(1))
                } else {
                    0
                }
            })
            .collect();
        if basis.iter().all(|&b| b == 0) {
            break;
        }
        let shares = share_largest_remainder(left, &basis);
        for ((grant, claim), share) in grants.iter_mut().zip(claims).zip(shares) {
            let add = share.min(claim.want - *grant);
            *grant += add;
            left -= add;
        }
    }
    grants
}

/// Splits `total` in proportion to `basis`: everyone gets the floor of their exact quota,
/// then the largest remainders one more each (ties to the earlier entry). Sums to exactly
/// `total` unless every basis is zero.
pub fn share_largest_remainder(total: u32, basis: &[u64]) -> Vec<u32> {
    let sum: u128 = basis.iter().map(|&b| u128::from(b)).sum();
    if sum == 0 {
        return vec![0; basis.len()];
    }
    let exact = |b: u64| u128::from(total) * u128::from(b);
    let mut grants: Vec<u32> = basis.iter().map(|&b| (exact(b) / sum) as u32).collect();
    let given: u32 = grants.iter().sum();
    let mut order: Vec<usize> = (0..basis.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(exact(basis[i]) % sum));
    for &i in order.iter().take((total - given) as usize) {
        grants[i] += 1;
    }
    grants
}

/// One line saying how `claims[index]` got its grant, for the plan and `explain`.
pub fn explain_grant(
    strategy: Strategy,
    free: u32,
    claims: &[Claim],
    grants: &[u32],
    index: usize,
) -> String {
    let claim = claims[index];
    let grant = grants[index];
    let total: u64 = claims.iter().map(|c| u64::from(c.want)).sum();
    let head = format!(
        "group share = {grant} of {free} free (pools want {total} in all; {})",
        strategy.label()
    );
    if u64::from(free) >= total {
        return format!("{head}: enough for every pool, want {} met", claim.want);
    }
    let why = match strategy {
        Strategy::Priority => format!(
            "priority {}, served after every pool with a higher priority",
            claim.priority
        ),
        Strategy::RoundRobin => "one device to each wanting pool in turn".to_string(),
        Strategy::Proportional => format!(
            "exact quota {free}×{}/{total} = {:.2}, rounded by largest remainder",
            claim.want,
            f64::from(free) * f64::from(claim.want) / total as f64
        ),
        Strategy::Weighted => explain_weighted(free, claims, grant, index),
    };
    format!("{head}: want {}, {why}", claim.want)
}

/// What a pool got under `weighted` and why: its minimum and the extra its weight earned, or,
/// when the minimums alone exceed the free devices, its proportional part of them.
fn explain_weighted(free: u32, claims: &[Claim], grant: u32, index: usize) -> String {
    let claim = claims[index];
    let minimum = claim.minimum.min(claim.want);
    let minimums: u64 = claims
        .iter()
        .map(|c| u64::from(c.minimum.min(c.want)))
        .sum();
    if minimums > u64::from(free) {
        return format!(
            "got {grant} for min_devices {minimum}: the pools' minimums ({minimums} in all) \
             exceed the {free} free, so they are shared in proportion to the minimums"
        );
    }
    let left = u64::from(free) - minimums;
    format!(
        "got min_devices {minimum} first, then {} more by weight {} of the {left} left after \
         every pool's minimum",
        grant.saturating_sub(minimum),
        claim.weight
    )
}

#[cfg(test)]
#[path = "allocation_tests.rs"]
mod tests;
