//! Runner pools: GitLab runners in Docker containers, started for pending jobs the pool's tags
//! satisfy and removed when idle past the cooldown.

pub mod actions;
pub mod busy_removed;
pub mod config;
pub mod conventions;
pub mod drain;
pub mod execute;
mod hosts;
mod judge;
pub mod model;
pub mod observe;
mod pause;
mod placement;
pub mod preview;
pub mod recheck;
pub mod render;
mod replace;
pub mod report;
pub mod rules;
pub mod verify;

use crate::load::Desired;
use crate::reconcilers::record::Kind;
use crate::reconcilers::{KindPlan, PoolStatus, Secrets};
use crate::render::Templates;
use model::{RunnerPoolPlan, RunnerState};

impl KindPlan for RunnerPoolPlan {
    fn kind(&self) -> Kind {
        Kind::RunnerPool
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
        self.starts.len() + self.removals.len() + self.pauses.len()
    }

    fn clip(&mut self, grant: u32, note: &str) {
        // Removals first (the order apply runs them in), then starts. The starts were sized
        // for the room the removals free, so a pool whose removals are clipped starts nothing
        // and never outgrows `max_runners`. Runners whose removal is dropped are kept.
        // Replacement pairs go first, whole: never an outdated runner's removal without the
        // start that replaces it.
        // Roll-out pauses go first of all: a busy runner left unpaused loses nothing.
        let why = "its pause was cut by settings.max_actions_per_run";
        let pauses = self.pauses.len();
        while self.action_count() as u32 > grant && pause::drop_last_pause(self, why) {}
        if self.pauses.len() < pauses {
            let cut = pauses - self.pauses.len();
            self.reason
                .push_str(&format!("{note} ({cut} roll-out pause(s) dropped)"));
        }
        let whole = (self.starts.len() + self.removals.len()) as u32;
        let grant = grant.saturating_sub(self.pauses.len() as u32);
        while self.action_count() as u32 > grant + self.pauses.len() as u32
            && replace::drop_last_pair(
                self,
                "its replacement was cut by settings.max_actions_per_run",
            )
        {}
        let (wanted_removals, wanted_starts) = (self.removals.len(), self.starts.len());
        let wanted = (wanted_removals + wanted_starts) as u32;
        if grant >= wanted {
            if wanted < whole {
                self.reason.push_str(note);
                let pairs = (whole - wanted) / 2;
                self.reason
                    .push_str(&format!(" ({pairs} replacement pair(s) dropped)"));
            }
            return;
        }
        let kept_removals = wanted_removals.min(grant as usize);
        let kept_starts = grant as usize - kept_removals;
        for dropped in self.removals.split_off(kept_removals) {
            let decision = self
                .runners
                .iter_mut()
                .find(|r| dropped.runner_id == Some(r.id));
            if let Some(decision) = decision {
                decision.state = RunnerState::Kept;
                decision
                    .detail
                    .push_str("; kept by settings.max_actions_per_run");
            }
        }
        self.starts.truncate(kept_starts);
        if let Some(n) = self.numbers.as_mut() {
            n.removals = kept_removals as u32;
            n.starts = kept_starts as u32;
        }
        self.reason.push_str(note);
        self.reason.push_str(&format!(
            " (removals {kept_removals} of {wanted_removals}, starts {kept_starts} of {wanted_starts})"
        ));
    }

    fn render(&mut self, templates: &Templates, desired: &Desired, secrets: Secrets<'_>) {
        // Secrets never reach a plan: apply renders each spec again with the new runner token.
        let _ = secrets;
        render::render(self, templates, desired);
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
        format!("runner pool {}", self.pool)
    }

    fn workload(&self) -> Option<(u64, u64, u64)> {
        let n = self.numbers?;
        (self.status == PoolStatus::Planned).then_some((
            n.pending.into(),
            n.idle.into(),
            n.busy.into(),
        ))
    }

    fn oldest_pending_since(&self) -> Option<jiff::Timestamp> {
        let n = self
            .numbers
            .filter(|_| self.status == PoolStatus::Planned)?;
        n.pending_since.filter(|_| n.pending > 0)
    }

    fn summary_cells(&self) -> (Option<String>, Vec<String>) {
        let numbers = self.numbers.map(|n| {
            let counts = report::runner_counts(&n);
            format!(
                "runners {}: {counts}; pending jobs {}",
                n.runners, n.pending
            )
        });
        let starts = self.starts.iter().map(|s| format!("start {}", s.name));
        let removals = (self.removals.iter()).map(|r| format!("remove {}", report::removed(r)));
        let pauses = (self.pauses.iter()).map(|p| format!("pause runner {}", p.runner_id));
        (numbers, starts.chain(removals).chain(pauses).collect())
    }

    fn job_files(&self) -> Vec<(String, &str)> {
        self.starts
            .iter()
            .map(|s| {
                let what = format!("runner pool {}, runner {}", self.pool, s.name);
                (what, s.container_spec.as_str())
            })
            .collect()
    }
}
