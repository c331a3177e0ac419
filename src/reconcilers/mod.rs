//! RECONCILERS: one folder per kind of thing devicepool keeps busy — device pools (Taskcluster
//! queues served by LambdaTest devices), racks (MAAS machines deployed through Testflinger) and
//! runner pools (GitLab runners in Docker containers). Each folder holds that kind's config
//! model, what it reads (observe), its rules, re-check, render, execute and report text and
//! its naming conventions. Shared machinery lives outside; nothing here reads a clock.

pub mod device_pools;
pub mod racks;
pub mod runner_pools;
