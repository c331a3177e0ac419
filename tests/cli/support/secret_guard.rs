//! The secret guard: every credential value the simulated fleet and the tests know, in one
//! list, and the check that names any of them found in a run's output or a file left on disk.
//! `Invocation` applies it to every run's stdout and stderr, `LabDir` to every lab's files.

use base64::Engine as _;
use devicepool_sim::gitlab::{SIM_ADMIN_TOKEN, SIM_USER_TOKEN};
use devicepool_sim::maas::SIM_MAAS_API_KEY;
use devicepool_sim::testflinger::SIM_CLIENT_SECRET;
use devicepool_sim::{SIM_ACCESS_KEY, SIM_USERNAME};

/// Every Taskcluster token the labs set (`token_of`) starts with this.
pub(crate) const TC_TOKEN_PREFIX: &str = "tc-secret-";
/// The Testflinger client secret the rack tests register and hand over in `TF_SECRET`.
pub(crate) const TF_CLIENT_SECRET: &str = "tf-client-secret-91Xq";
/// A LambdaTest access key the fake refuses (faults.rs): still a secret to the binary.
pub(crate) const WRONG_LT_ACCESS_KEY: &str = "wrong-key-123";
/// A MAAS API key the fake refuses (racks.rs): still a secret to the binary.
pub(crate) const WRONG_MAAS_API_KEY: &str =
    "WrongConsumer01:WrongToken01:WrongTokenSecret0000000001";

/// One secret, or a family of them sharing a prefix no output may contain.
pub(crate) struct Secret {
    pub(crate) name: &'static str,
    pub(crate) value: String,
}

impl Secret {
    /// The first four characters and an ellipsis: enough to tell which, not enough to use.
    pub(crate) fn shown(&self) -> String {
        format!("{}…", self.value.chars().take(4).collect::<String>())
    }
}

/// The token secret of a MAAS key (`consumer_key:token_key:token_secret`): it alone signs.
fn token_secret(key: &str) -> String {
    key.rsplit(':').next().unwrap_or_default().to_string()
}

/// What an HTTP Basic header carries for `user:password`: a leaked header shows no secret
/// in the clear, only this.
fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// Every credential value the simulated fleet accepts or issues and every one the tests hand
/// the binary, right or wrong. A prefix stands for values minted at run time.
pub(crate) fn secrets() -> Vec<Secret> {
    let secret = |name, value: &str| Secret {
        name,
        value: value.to_string(),
    };
    vec![
        secret("LambdaTest access key", SIM_ACCESS_KEY),
        secret("wrong LambdaTest access key", WRONG_LT_ACCESS_KEY),
        secret("MAAS API key", SIM_MAAS_API_KEY),
        secret("MAAS token secret", &token_secret(SIM_MAAS_API_KEY)),
        secret("wrong MAAS API key", WRONG_MAAS_API_KEY),
        secret("wrong MAAS token secret", &token_secret(WRONG_MAAS_API_KEY)),
        secret("GitLab admin token", SIM_ADMIN_TOKEN),
        secret("GitLab user token", SIM_USER_TOKEN),
        // Minted by the GitLab fake for every runner created (`glrt-t1_Sim…`).
        secret("GitLab runner token", "glrt-"),
        secret("Taskcluster access token", TC_TOKEN_PREFIX),
        // What `devicepool demo` hands its pools (`sim-token-tc_token_…`).
        secret("demo Taskcluster access token", "sim-token-"),
        secret("Testflinger client secret", TF_CLIENT_SECRET),
        secret("sim serve's Testflinger client secret", SIM_CLIENT_SECRET),
        secret(
            "LambdaTest Basic credentials",
            &basic(SIM_USERNAME, SIM_ACCESS_KEY),
        ),
        secret(
            "Testflinger Basic client credentials",
            &basic("lab-deployer", TF_CLIENT_SECRET),
        ),
        // Every access token the Testflinger fake issues is a JWT with this header.
        secret(
            "Testflinger access token",
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        ),
    ]
}

/// `Err` naming (never printing) each secret found in `text`; `place` says where it was.
pub(crate) fn check(place: &str, text: &str) -> Result<(), String> {
    let found: Vec<String> = secrets()
        .iter()
        .filter(|s| text.contains(s.value.as_str()))
        .map(|s| format!("{} ({})", s.name, s.shown()))
        .collect();
    if found.is_empty() {
        Ok(())
    } else {
        Err(format!("secret leak in {place}: {}", found.join(", ")))
    }
}

#[test]
fn the_guard_names_each_secret_without_printing_it() {
    for secret in secrets() {
        let text = format!("log line one\nAuthorization: {}xyz\n", secret.value);
        let err = check("stderr of `devicepool plan`", &text).expect_err(secret.name);
        assert!(err.contains(secret.name), "{err}");
        assert!(err.contains("stderr of `devicepool plan`"), "{err}");
        if secret.value.chars().count() > 4 {
            assert!(
                !err.contains(&secret.value),
                "the report repeats the secret: {err}"
            );
        }
    }
    let key = format!("key {SIM_MAAS_API_KEY}");
    let err = check("plan.json", &key).unwrap_err();
    assert!(err.contains("MAAS API key (SimC…)"), "{err}");
    assert!(err.contains("MAAS token secret (SimT…)"), "{err}");
    check(
        "stdout",
        "TASKCLUSTER_ACCESS_TOKEN: \"<redacted>\" via GITLAB_TOKEN and TC_TOKEN_A55",
    )
    .expect("names and redaction markers are no leak");
}
