//! What every command that touches the fleet needs before it reads anything: the checked
//! desired state, the secrets named in it (from the environment or from files), and the
//! templates.
//! Fails before any request is sent.

use std::collections::BTreeMap;

use crate::clients::ReadCredentials;
use crate::clients::testflinger::TokenSource;
use anyhow::Context;

use crate::load::partition::Partition;
use crate::load::{self, Loaded, Purpose, SecretFrom};
use crate::render::{Templates, load_templates};
use crate::secret::{Redactor, Secret};

/// The secrets a run uses; never printed.
pub(super) struct Secrets {
    pub read: ReadCredentials,
    /// Taskcluster access token per pool.
    pub tokens: BTreeMap<String, Secret>,
    /// Scrubs every value above from foreign text.
    pub redactor: Redactor,
}

/// A desired state ready to plan from.
pub(super) struct Prepared {
    pub loaded: Loaded,
    pub secrets: Secrets,
    pub templates: Templates,
}

/// Loads, validates, keeps only `partition`, checks the environment and reads templates.
pub(super) fn prepare(
    path: &std::path::Path,
    env: &dyn Fn(&str) -> Option<String>,
    purpose: Purpose,
    partition: &Partition,
) -> anyhow::Result<Prepared> {
    let mut loaded = load::load(path)?;
    partition
        .apply(&mut loaded.desired)
        .with_context(|| loaded.path.display().to_string())?;
    super::clock::check_sim_clock(&loaded.desired.sources)?;
    // Schedules are read at the schedule time (now, or DEVICEPOOL_NOW), also against a
    // recorded snapshot, so any moment can be previewed; nothing else moves with it.
    crate::reconcilers::settle_every_kind(&mut loaded.desired, super::clock::schedule_at());
    if purpose != Purpose::Replay {
        loaded.check_env(env, purpose)?;
    }
    loaded.check_paths()?;
    loaded.desired.ownership_key = read_ownership_key(&loaded, env)?;
    let desired = &loaded.desired;
    let secret =
        |from: Option<SecretFrom<'_>>| Secret::new(loaded.secret(from, env).unwrap_or_default());
    let (username, access_key) = match &desired.sources.lambdatest {
        Some(lt) => (secret(lt.username()), secret(lt.access_key())),
        None => (Secret::new(""), Secret::new("")),
    };
    let tokens: BTreeMap<String, Secret> = desired
        .device_pools
        .iter()
        .filter(|(_, pool)| !pool.disabled)
        .map(|(name, pool)| (name.clone(), secret(pool.access_token())))
        .collect();
    let maas_api_key = desired
        .sources
        .maas
        .as_ref()
        .map_or(Secret::new(""), |m| secret(m.api_key()));
    let testflinger_client = desired.sources.testflinger.as_ref().and_then(|tf| {
        let id = tf.client_id.clone()?;
        Some((id, secret(Some(tf.client_secret()?))))
    });
    let gitlab_token = desired
        .sources
        .gitlab
        .as_ref()
        .map_or(Secret::new(""), |g| secret(g.token()));
    let docker_host = desired
        .sources
        .docker
        .as_ref()
        .and_then(|d| d.host.clone())
        .or_else(|| env("DOCKER_HOST"))
        .unwrap_or_else(|| "unix:///var/run/docker.sock".to_string());
    let redactor = known_secrets(&loaded, env);
    let testflinger_tokens =
        testflinger_client.map(|(id, secret)| std::sync::Mutex::new(TokenSource::new(id, secret)));
    let templates = load_templates(&loaded, redactor.clone())?;
    // The spec each entry renders now, for its roll-out: the planner cannot render.
    crate::reconcilers::stamp_specs_every_kind(&mut loaded.desired, &templates);
    Ok(Prepared {
        secrets: Secrets {
            read: ReadCredentials {
                lambdatest_username: username,
                lambdatest_access_key: access_key,
                maas_api_key,
                testflinger_tokens,
                gitlab_token,
                docker_host,
            },
            tokens,
            redactor,
        },
        loaded,
        templates,
    })
}

/// The shortest ownership key accepted: a guessable key would let anyone forge ownership.
const MIN_OWNERSHIP_KEY: usize = 16;

/// The ownership key `settings` names, when it names one. Needed by every run that judges
/// objects, a replay too: without it no object could be told from a look-alike.
pub(super) fn read_ownership_key(
    loaded: &Loaded,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Option<Secret>> {
    let Some(from) = loaded.desired.settings.ownership_key() else {
        return Ok(None);
    };
    let (key, source) = match from {
        SecretFrom::Env(var) => ("ownership_key_env", format!("environment variable {var}")),
        SecretFrom::File(path) => ("ownership_key_file", format!("file {}", path.display())),
    };
    let at = format!("{}: settings.{key}", loaded.path.display());
    match loaded.secret(Some(from), env) {
        Some(value) if value.chars().count() >= MIN_OWNERSHIP_KEY => Ok(Some(Secret::new(value))),
        Some(value) if !value.is_empty() => anyhow::bail!(
            "{at}: the ownership key in {source} is shorter than {MIN_OWNERSHIP_KEY} characters"
        ),
        _ => anyhow::bail!(
            "{at}: the ownership key ({source}) is not set, empty or unreadable; it is needed to tell this fleet's objects from look-alikes"
        ),
    }
}

/// A redactor for every secret value the desired state names that is set in `env` or held
/// in its file, with the Basic credentials built from them; values not there are skipped
/// (`render` runs without them).
pub(super) fn known_secrets(loaded: &Loaded, env: &dyn Fn(&str) -> Option<String>) -> Redactor {
    let desired = &loaded.desired;
    let value =
        |from: Option<SecretFrom<'_>>| Secret::new(loaded.secret(from, env).unwrap_or_default());
    let mut secrets: Vec<Secret> = Vec::new();
    let mut basic: Vec<(String, Secret)> = Vec::new();
    if let Some(lt) = &desired.sources.lambdatest {
        let key = value(lt.access_key());
        basic.push((
            loaded.secret(lt.username(), env).unwrap_or_default(),
            key.clone(),
        ));
        secrets.push(key);
    }
    secrets.extend(
        desired
            .device_pools
            .values()
            .map(|pool| value(pool.access_token())),
    );
    if let Some(gl) = &desired.sources.gitlab {
        secrets.push(value(gl.token()));
    }
    if let Some(from) = desired.settings.ownership_key() {
        secrets.push(value(Some(from)));
    }
    if let Some(crate::load::LockSettings::Etcd(etcd)) = &desired.settings.lock
        && let Some(from) = etcd.password()
    {
        secrets.push(value(Some(from)));
    }
    if let Some(maas) = &desired.sources.maas {
        let key = value(maas.api_key());
        // The request carries the three parts apart (the token secret percent-encoded in
        // the signature): scrub each on its own too.
        secrets.extend(key.expose().split(':').map(Secret::new));
        secrets.push(key);
    }
    if let Some(tf) = &desired.sources.testflinger
        && let (Some(id), Some(from)) = (&tf.client_id, tf.client_secret())
    {
        let secret = value(Some(from));
        basic.push((id.clone(), secret.clone()));
        secrets.push(secret);
    }
    let mut redactor = Redactor::default();
    secrets.iter().for_each(|s| redactor.add(s));
    for (user, password) in &basic {
        redactor.add_basic(user, password);
    }
    redactor
}
