//! Device pools: start a HyperExecute job on a free LambdaTest device for every pending
//! Taskcluster task not yet covered, within the pool's and the org's caps.

pub mod allocation;
pub mod config;
pub mod conventions;
pub mod execute;
pub(crate) mod fleet;
pub(crate) mod generations;
pub mod group;
pub(crate) mod group_share;
pub mod membership;
pub mod model;
pub mod observe;
pub mod preview;
pub mod recheck;
pub mod render;
pub mod report;
pub mod rules;
pub mod verify;

use crate::load::Desired;
use crate::reconcilers::record::Kind;
use crate::reconcilers::{KindPlan, PoolStatus, Secrets};
use crate::render::Templates;
use model::{Bound, DevicePoolPlan, DeviceState};

impl DevicePoolPlan {
    /// Shows a device of the pool as `start` exactly while one of `starts` is on it: call
    /// whenever starts are dropped (a clip, a template that fails, a saved plan that selects
    /// fewer), so a device no job starts on is `spare` again.
    pub(crate) fn mark_starts(&mut self) {
        let starting: std::collections::BTreeSet<&str> =
            self.starts.iter().map(|s| s.udid.as_str()).collect();
        for device in &mut self.devices {
            if device.state == DeviceState::Start && !starting.contains(device.udid.as_str()) {
                device.state = DeviceState::Spare;
            }
        }
    }
}

impl KindPlan for DevicePoolPlan {
    fn kind(&self) -> Kind {
        Kind::DevicePool
    }

    fn name(&self) -> &str {
        &self.pool
    }

    fn status(&self) -> &PoolStatus {
        &self.status
    }

    fn reason(&self) -> &str {
        &self.reason
    }

    fn action_count(&self) -> usize {
        self.starts.len()
    }

    fn clip(&mut self, grant: u32, note: &str) {
        let wanted = self.starts.len() as u32;
        if grant >= wanted {
            return;
        }
        self.starts.truncate(grant as usize);
        self.mark_starts();
        if let Some(n) = self.numbers.as_mut() {
            n.starts = grant;
        }
        self.bound = Some(Bound::MaxActionsPerRun);
        self.reason.push_str(note);
    }

    fn render(&mut self, templates: &Templates, desired: &Desired, secrets: Secrets<'_>) {
        render::render(self, templates, desired, secrets);
    }

    fn write_text(&self, out: &mut String) {
        report::write_text(out, self);
    }

    fn explain(&self) -> Vec<String> {
        report::explain(self)
    }

    fn explain_items(&self) -> Vec<String> {
        report::explain_items(self)
    }

    fn rollout(&self) -> Option<&crate::reconcilers::rollout::RolloutPlan> {
        self.rollout.as_ref()
    }

    fn describe(&self) -> String {
        format!("pool {}", self.pool)
    }

    /// A grouped pool's own part: its share of the group's free devices and the devices its
    /// jobs hold (its numbers are the group's, which summed over the pools would count the
    /// group once per pool).
    fn workload(&self) -> Option<(u64, u64, u64)> {
        let n = self.numbers?;
        let (free, in_flight) = match &self.group {
            Some(g) => (g.share, g.in_flight),
            None => (n.free, n.in_flight),
        };
        (self.status == PoolStatus::Planned).then_some((n.demand, free.into(), in_flight.into()))
    }

    /// Known only when the pool was planned and Taskcluster listed its pending tasks.
    fn oldest_pending_since(&self) -> Option<jiff::Timestamp> {
        let n = self
            .numbers
            .filter(|_| self.status == PoolStatus::Planned)?;
        n.pending_since.filter(|_| n.pending > 0)
    }

    fn summary_cells(&self) -> (Option<String>, Vec<String>) {
        let numbers = self.numbers.map(|n| {
            format!(
                "devices {}, free {}, in flight {}; tasks pending {}, demand {}",
                n.devices, n.free, n.in_flight, n.pending, n.demand
            )
        });
        let actions = self.starts.iter().map(|s| format!("start on {}", s.udid));
        (numbers, actions.collect())
    }

    fn job_files(&self) -> Vec<(String, &str)> {
        self.starts
            .iter()
            .map(|s| {
                (
                    format!("pool {}, device {}", self.pool, s.udid),
                    s.job_file.as_str(),
                )
            })
            .collect()
    }
}
