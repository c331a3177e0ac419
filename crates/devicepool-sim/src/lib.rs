//! The simulated fleet: loopback fakes of Taskcluster, LambdaTest, MAAS, Testflinger and GitLab,
//! a fake Docker daemon on a unix socket, plus a fake `hyperexecute` CLI, used by
//! `devicepool demo`, `devicepool sim serve` and the tests. Nothing here talks to the internet.
//! This crate must never depend on `devicepool`: a fake implements the upstream's published
//! contract, so a bug in devicepool's clients can never be mirrored by the fake it is tested
//! against.

pub mod docker;
mod docker_filters;
mod docker_routes;
pub mod etcd_process;
pub mod fake_cli;
pub mod fault;
pub mod gitlab;
mod gitlab_jobs;
mod gitlab_paging;
mod gitlab_routes;
pub mod http;
pub mod job_timing;
pub mod kubernetes;
mod kubernetes_routes;
pub mod lambdatest;
mod lambdatest_routes;
pub mod maas;
mod maas_routes;
pub mod podman_process;
pub mod probe;
pub mod prometheus_process;
pub mod pushgateway_process;
pub mod server;
pub mod shutdown;
pub mod taskcluster;
mod taskcluster_routes;
pub mod testflinger;
mod testflinger_agents;
mod testflinger_job;
mod testflinger_logs;
mod testflinger_restricted;
mod testflinger_routes;
mod wire;

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

pub use docker::DockerSim;
pub use fault::{Fault, FaultKind};
pub use gitlab::GitlabSim;
pub use http::{Api, LoggedRequest, Request, Response};
pub use job_timing::JobTiming;
pub use kubernetes::{KubernetesSim, SIM_KUBERNETES_TOKEN};
pub use lambdatest::{LambdatestSim, SIM_ACCESS_KEY, SIM_USERNAME, SimJob};
pub use maas::MaasSim;
pub use server::SimServer;
pub use taskcluster::TaskclusterSim;
pub use testflinger::TestflingerSim;

/// Every fake upstream, each on its own loopback port.
pub struct Fleet {
    pub taskcluster: TaskclusterSim,
    pub lambdatest: LambdatestSim,
    pub maas: MaasSim,
    pub testflinger: TestflingerSim,
    pub gitlab: GitlabSim,
    pub docker: DockerSim,
}

impl Fleet {
    /// Starts every fake, empty (one listening socket and one thread each, plus a temp dir
    /// for the Docker socket: cheap).
    pub fn start() -> std::io::Result<Fleet> {
        Ok(Fleet {
            taskcluster: TaskclusterSim::start()?,
            lambdatest: LambdatestSim::start()?,
            maas: MaasSim::start()?,
            testflinger: TestflingerSim::start()?,
            gitlab: GitlabSim::start()?,
            docker: DockerSim::start()?,
        })
    }

    /// Lets runner containers come alive, as a standing fleet needs: from now on, a container
    /// started through the Docker API whose environment holds a GitLab runner's
    /// authentication token makes that runner contact GitLab, as the `gitlab-runner` in it
    /// would. Off by default: tests decide when each runner comes up.
    pub fn run_runner_containers(&self) {
        let contact = self.gitlab.contact_by_token();
        self.docker.on_start(Box::new(move |container| {
            for value in container.env.iter().filter_map(|v| v.split_once('=')) {
                contact(value.1);
            }
        }));
    }

    /// Writes `dir/hyperexecute`, an executable script running the fake CLI through
    /// `devicepool_exe __sim-hyperexecute`, pointed at this fleet's LambdaTest. Returns its path.
    pub fn write_fake_cli(&self, dir: &Path, devicepool_exe: &Path) -> std::io::Result<PathBuf> {
        let path = dir.join("hyperexecute");
        let script = format!(
            "#!/bin/sh\n{}={} exec {} __sim-hyperexecute \"$@\"\n",
            fake_cli::URL_ENV,
            quote(&self.lambdatest.url()),
            quote(&devicepool_exe.to_string_lossy()),
        );
        // Write to a fresh file then rename, so a concurrently running old script is never
        // rewritten in place ("text file busy").
        let tmp = dir.join(".hyperexecute.tmp");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o755)
            .open(&tmp)?;
        file.write_all(script.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::set_permissions(&tmp, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// Single-quotes a string for `/bin/sh`.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests;
