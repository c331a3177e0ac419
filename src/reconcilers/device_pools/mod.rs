//! Device pools: start a HyperExecute job on a free LambdaTest device for every pending
//! Taskcluster task not yet covered, within the pool's and the org's caps.

pub mod rules;
