//! Runner pools: GitLab runners in Docker containers, started for pending jobs the pool's tags
//! satisfy and removed when idle past the cooldown.

pub mod clients;
pub mod execute;
pub mod observe;
pub mod recheck;
pub mod rules;
#[cfg(test)]
mod rules_tests;
