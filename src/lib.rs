//! devicepool: a declarative, one-shot reconciler for test-device and CI-runner fleets.

pub mod sim;

/// Entry point used by the binary.
pub fn main_entry() -> std::process::ExitCode {
    std::process::ExitCode::SUCCESS
}
