//! Racks: deploy Testflinger agents on the MAAS machines of a rack on a cadence, one job per
//! machine, to the queue only that agent serves.

pub mod deploy_job;
pub mod observe;
pub mod rules;
