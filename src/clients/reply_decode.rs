//! Pure decoders for the replies apply reads back from the APIs it changes, and for the
//! output of the `hyperexecute` CLI: each is the same function the real call uses, exposed so
//! it can be fuzzed (`fuzz/fuzz_targets/apply_replies.rs`) without a server. They must not do
//! I/O or hold mapping logic of their own; the logic stays in each writer's file.

use super::docker::write as docker;
use super::gitlab::write::{self as gitlab, CreatedRunner};
use super::lambdatest::hyperexecute;
use super::testflinger::submit as testflinger;

/// GitLab `POST /user/runners` (201) → the runner's id, token and token expiry.
pub fn gitlab_created_runner(body: &str) -> Result<CreatedRunner, String> {
    gitlab::decode_created_runner(body)
}

/// Docker `POST /containers/create` (201) → the container id.
pub fn docker_created_container(body: &str) -> Result<String, String> {
    docker::decode_created_container(body)
}

/// Testflinger `POST /v1/job` (200) → the job id.
pub fn testflinger_submitted_job(body: &str) -> Result<String, String> {
    testflinger::decode_submitted_job(body)
}

/// What the `hyperexecute` CLI printed → the id in its job link, if any.
pub fn hyperexecute_job_id(output: &str) -> Option<String> {
    hyperexecute::find_job_id(output)
}
