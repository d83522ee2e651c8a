//! `klachtd failed`: messages that could not be processed (dead letters),
//! their raw text, and queueing one again after its cause was fixed.

use crate::cli::args::FailedCommand;
use crate::cli::env::Env;
use anyhow::{bail, Context as _, Result};
use klachtd::intake::journal;

/// Runs `failed list`, `failed show` or `failed retry`.
pub fn failed(env: &Env, command: &FailedCommand) -> Result<i32> {
    let (_, store) = env.store()?;
    let store = &store;
    match command {
        FailedCommand::List { json } => {
            let dead = journal::dead_letters(store)?;
            if *json {
                outln!(env, "{}", serde_json::to_string_pretty(&dead)?);
            } else if dead.is_empty() {
                outln!(env, "no dead letters");
            } else {
                for e in dead {
                    let reason = match &e.status {
                        journal::Status::Dead { reason, .. } => reason.as_str(),
                        _ => "",
                    };
                    outln!(
                        env,
                        "{}  {}  {}  {}",
                        e.id,
                        e.received_at.format("%Y-%m-%d %H:%M"),
                        e.message_id.as_deref().unwrap_or("-"),
                        reason
                    );
                }
            }
            Ok(0)
        }
        FailedCommand::Show { id } => {
            let raw = journal::raw(store, id)?.with_context(|| format!("no journal entry {id}"))?;
            use std::io::Write;
            env.out().write_all(&raw)?;
            Ok(0)
        }
        FailedCommand::Retry { id } => {
            if journal::retry_dead(store, id, env.clock.now())? {
                outln!(env, "{id} queued again; the next cycle processes it");
                Ok(0)
            } else {
                bail!("{id} is not a dead letter (see `klachtd failed list`)")
            }
        }
    }
}
