//! The run lock on a shared engine (`settings.lock`): a real etcd on loopback, and a fake
//! Kubernetes API server for the Lease. Two "hosts" are two desired-state files with their
//! own state directories against one simulated fleet.

mod etcd;
mod etcd_server;
mod kubernetes;
mod settings;

use crate::racks::RackLab;

/// Writes `<name>.yaml`: the rack lab's desired state with its own state directory and
/// `settings.lock: <lock>`; returns its path.
pub(crate) fn host_config(lab: &RackLab, name: &str, lock: &str) -> String {
    let yaml = lab.yaml(40).replace(
        "  state_dir: state\n",
        &format!("  state_dir: state-{name}\n  lock: {lock}\n"),
    );
    let path = lab.config.with_file_name(format!("{name}.yaml"));
    std::fs::write(&path, yaml).unwrap();
    path.to_str().unwrap().to_string()
}
