//! `devicepool lock status` / `lock break`, and taking the `settings.lock` lease for
//! `apply`: what holds the run lock, its run record, and removing a stale holder after a
//! typed `yes`. Never removes a holder whose lease is live without `--force`.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::{Context, bail};

use super::lock_engine as engine;
use crate::cli::{LockArgs, LockBreakArgs, LockCommand};
use crate::exit::Exit;
use crate::lock::RunLock;
use crate::lock::lease::{Held, Lease, Status};
use crate::lock::record::RunRecord;

/// Runs `lock status` or `lock break`.
pub(super) fn run(args: &LockArgs, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Exit> {
    match &args.command {
        LockCommand::Status(config) => status(&config.config, env),
        LockCommand::Break(args) => break_holder(args, env),
    }
}

/// Takes the `settings.lock` lease, waiting up to `wait` for another holder; `None` when
/// the desired state has no `settings.lock`.
pub(super) fn take_lease(
    loaded: &crate::load::Loaded,
    env: &dyn Fn(&str) -> Option<String>,
    wait: Duration,
) -> anyhow::Result<Option<Lease>> {
    let Some((backend, ttl)) = engine::open(loaded, env).map_err(crate::lock::LockError::Lease)?
    else {
        return Ok(None);
    };
    Ok(Some(Lease::take(backend, ttl, wait)?))
}

fn status(path: &std::path::Path, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Exit> {
    let loaded = crate::load::load(path)?;
    let state_dir = loaded.state_dir(env);
    let mut out = String::new();
    match RunLock::holder(&state_dir) {
        Some(note) => out.push_str(&format!(
            "file lock {}: held by {note}\n",
            state_dir.join("lock").display()
        )),
        None => out.push_str(&format!(
            "file lock {}: free\n",
            state_dir.join("lock").display()
        )),
    }
    if let Some((backend, _)) = engine::open(&loaded, env).map_err(anyhow::Error::msg)? {
        let Status { holder, record } = backend
            .status()
            .map_err(anyhow::Error::msg)
            .context("cannot read the lease")?;
        out.push_str(&format!("{}: ", backend.location()));
        match holder {
            Some(Held {
                who,
                left: Ok(Some(left)),
                ..
            }) => out.push_str(&format!(
                "held by {who}; runs out in {}s unless renewed\n",
                left.as_secs()
            )),
            Some(Held {
                who,
                left: Ok(None),
                ..
            }) => out.push_str(&format!(
                "held by {who}; its lease has run out (the next run takes it over)\n"
            )),
            Some(Held {
                who, left: Err(e), ..
            }) => out.push_str(&format!(
                "held by {who}; cannot tell when its lease runs out ({e})\n"
            )),
            None => out.push_str("free\n"),
        }
        out.push_str(&describe_record(&record));
    }
    crate::report::emit(&out);
    Ok(Exit::Clean)
}

/// The run record's lines for `lock status`.
fn describe_record(record: &RunRecord) -> String {
    let shown = |t: Option<jiff::Timestamp>| {
        t.map_or("never".to_string(), |t| {
            t.round(jiff::Unit::Second).unwrap_or(t).to_string()
        })
    };
    let mut out = format!(
        "  last mutation sent: {}\n  last successful run: {}\n",
        shown(record.last_mutation_at),
        shown(record.last_success_at)
    );
    if let Some(holder) = &record.holder {
        out.push_str(&format!("  last written by: {}\n", holder.describe()));
    }
    if let Some(until) = record.in_flight_until {
        out.push_str(&format!(
            "  a run did not finish: its mutations may land until {}\n",
            until.round(jiff::Unit::Second).unwrap_or(until)
        ));
    }
    out
}

fn break_holder(
    args: &LockBreakArgs,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Exit> {
    let loaded = crate::load::load(&args.config.config)?;
    let Some((backend, _)) = engine::open(&loaded, env).map_err(anyhow::Error::msg)? else {
        bail!(
            "{} has no settings.lock: the state directory's file lock is released by the kernel when its holder exits and never needs breaking",
            loaded.path.display()
        );
    };
    let status = backend.status().map_err(anyhow::Error::msg)?;
    let Some(held) = status.holder else {
        crate::report::emit(&format!("{}: free, nothing to break\n", backend.location()));
        return Ok(Exit::Clean);
    };
    let holder = &held.who;
    match &held.left {
        _ if args.force => {}
        Ok(None) => {}
        Ok(Some(left)) => bail!(
            "{} is held by {holder} and its lease runs out in {}s: wait for it, or use --force if that holder is known to be dead",
            backend.location(),
            left.as_secs()
        ),
        // Not knowing is not "ran out": a live holder would go on mutating.
        Err(e) => bail!(
            "{} is held by {holder} and whether its lease ran out cannot be told ({e}): try again, or use --force if that holder is known to be dead",
            backend.location()
        ),
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            bail!("lock break asks for a typed `yes` on a terminal; without one, pass --yes");
        }
        eprint!(
            "Remove the holder {holder} of {}? A live holder would go on mutating. Only 'yes' is accepted: ",
            backend.location()
        );
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if answer.trim() != "yes" {
            eprintln!("Lock break cancelled; nothing was changed.");
            return Ok(Exit::Error);
        }
    }
    let done = backend.remove_holder(&held).map_err(anyhow::Error::msg)?;
    crate::report::emit(&format!("{done}\n"));
    Ok(Exit::Clean)
}
