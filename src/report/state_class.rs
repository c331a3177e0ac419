//! Which colour class the page gives each state of a device, machine or runner, and the words
//! its legend says for the class. Exhaustive matches: a new state must be given a class here.
//! Names no colour itself (the page's CSS does).

use crate::plan::{DeviceState, MachineState, RunnerState};

/// How a state is coloured: each class has a colour and a line in the legend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Class {
    /// An action of this plan on it.
    Act,
    /// Free or idle, usable.
    Free,
    /// Working: a job of ours or someone's on it, or waiting its turn.
    Working,
    /// Something is wrong with it: someone should look.
    Trouble,
    /// Not ours to use here.
    Aside,
}

impl Class {
    pub(super) const ALL: [Class; 5] = [
        Class::Act,
        Class::Free,
        Class::Working,
        Class::Trouble,
        Class::Aside,
    ];

    /// The CSS class and the legend's words.
    pub(super) fn css(self) -> (&'static str, &'static str) {
        match self {
            Class::Act => ("a", "action of this plan"),
            Class::Free => ("f", "free or idle"),
            Class::Working => ("w", "working or waiting"),
            Class::Trouble => ("t", "needs a look"),
            Class::Aside => ("x", "not ours to use"),
        }
    }
}

pub(super) fn device_class(state: DeviceState) -> Class {
    use DeviceState as S;
    match state {
        S::Start => Class::Act,
        S::Spare => Class::Free,
        S::Busy | S::InFlight | S::CoolingDown => Class::Working,
        S::Quarantined | S::Unknown | S::Contested | S::Unusable | S::StaleWorker => Class::Trouble,
    }
}

pub(super) fn machine_class(state: MachineState) -> Class {
    use MachineState as S;
    match state {
        S::Deploy | S::Outdated => Class::Act,
        S::NotDue => Class::Free,
        S::Capped | S::NotWaiting | S::InFlight => Class::Working,
        S::AgentNotFound
        | S::UnusableName
        | S::MachineStatus
        | S::Stale
        | S::FailStreak
        | S::HistoryUnknown => Class::Trouble,
        S::OtherLocation | S::NoPrivateQueue | S::RestrictedQueue => Class::Aside,
    }
}

pub(super) fn runner_class(state: RunnerState) -> Class {
    use RunnerState as S;
    match state {
        S::Remove => Class::Act,
        S::Idle | S::Kept => Class::Free,
        S::Busy => Class::Working,
        S::BusyTooLong | S::Failed => Class::Trouble,
        S::LeftAlone => Class::Aside,
    }
}
