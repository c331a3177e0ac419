//! Racks: deploy Testflinger agents on the MAAS machines of a rack on a cadence, one job per
//! machine, to the queue only that agent serves.

pub mod config;
pub mod conventions;
pub mod deploy_job;
pub mod eligibility;
pub mod execute;
pub mod history;
pub mod model;
pub mod observe;
pub mod outcome;
pub mod preview;
pub mod recheck;
pub mod redeploy;
pub mod render;
pub mod report;
pub mod reserve_timeout;
pub mod results;
pub mod rules;
pub mod spec;
pub mod stuck;
pub mod verify;

use crate::load::Desired;
use crate::reconcilers::record::Kind;
use crate::reconcilers::{KindPlan, PoolStatus, Secrets};
use crate::render::Templates;
use model::{MachineState, RackPlan};

impl KindPlan for RackPlan {
    fn kind(&self) -> Kind {
        Kind::Rack
    }

    fn name(&self) -> &str {
        &self.rack
    }

    fn status(&self) -> &PoolStatus {
        &self.status
    }

    fn reason(&self) -> &str {
        &self.reason
    }

    /// Each deploy, and each stuck job it cancels first.
    fn action_count(&self) -> usize {
        self.deploys.iter().map(|d| 1 + d.cancel_first.len()).sum()
    }

    /// Keeps the first deploys whose actions (a deploy and its cancels) fit in `grant`.
    fn clip(&mut self, grant: u32, note: &str) {
        if grant as usize >= self.action_count() {
            return;
        }
        let mut used = 0;
        let kept = (self.deploys.iter())
            .take_while(|d| {
                used += 1 + d.cancel_first.len();
                used <= grant as usize
            })
            .count();
        for dropped in self.deploys.split_off(kept) {
            if let Some(m) = self
                .machines
                .iter_mut()
                .find(|m| m.hostname == dropped.agent)
            {
                if m.state == MachineState::Outdated
                    && let Some(rollout) = self.rollout.as_mut()
                {
                    rollout.replace = rollout.replace.saturating_sub(1);
                }
                m.state = MachineState::Capped;
                rules::postpone_cancels(&mut m.detail);
            }
        }
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
        format!("rack {}", self.rack)
    }

    fn workload(&self) -> Option<(u64, u64, u64)> {
        if self.status != PoolStatus::Planned {
            return None;
        }
        let count = |states: &[MachineState]| {
            let machines = self.machines.iter();
            machines.filter(|m| states.contains(&m.state)).count() as u64
        };
        let due = [
            MachineState::Deploy,
            MachineState::Outdated,
            MachineState::Capped,
        ];
        let waiting = [
            MachineState::Deploy,
            MachineState::Outdated,
            MachineState::Capped,
            MachineState::NotDue,
        ];
        Some((
            count(&due),
            count(&waiting),
            count(&[MachineState::InFlight]),
        ))
    }

    /// The machine longest due (deployed or capped in this run); one never deployed has no
    /// moment it fell due and is left out.
    fn oldest_pending_since(&self) -> Option<jiff::Timestamp> {
        let due = [MachineState::Deploy, MachineState::Capped];
        (self.machines.iter())
            .filter(|m| self.status == PoolStatus::Planned && due.contains(&m.state))
            .filter_map(|m| m.due_since)
            .min()
    }

    fn summary_cells(&self) -> (Option<String>, Vec<String>) {
        let mut states: Vec<(MachineState, usize)> = Vec::new();
        for machine in &self.machines {
            match states.iter_mut().find(|(s, _)| *s == machine.state) {
                Some((_, n)) => *n += 1,
                None => states.push((machine.state, 1)),
            }
        }
        let shown: Vec<String> = states
            .iter()
            .map(|(state, n)| {
                format!(
                    "{} {n}",
                    crate::reconcilers::word_of(state).replace('_', " ")
                )
            })
            .collect();
        let numbers = (self.status == PoolStatus::Planned)
            .then(|| format!("machines {}: {}", self.machines.len(), shown.join(", ")));
        let mut actions = Vec::new();
        for deploy in &self.deploys {
            let cancels = deploy.cancel_first.iter();
            actions.extend(
                cancels.map(|s| format!("cancel stuck job {} on {}", s.job_id, deploy.agent)),
            );
            actions.push(format!("deploy {}", deploy.agent));
        }
        (numbers, actions)
    }

    fn job_files(&self) -> Vec<(String, &str)> {
        self.deploys
            .iter()
            .map(|d| {
                (
                    format!("rack {}, agent {}", self.rack, d.agent),
                    d.job_file.as_str(),
                )
            })
            .collect()
    }
}
