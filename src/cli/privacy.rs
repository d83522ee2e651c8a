//! `klachtd privacy`: everything stored about a person (export), and
//! erasing it, the mail server's copies included.

use crate::cli::args::PrivacyCommand;
use crate::cli::env::runtime;
use crate::cli::env::Env;
use anyhow::{Context as _, Result};
use klachtd::config::Config;
use klachtd::intake::watcher::Watcher;
use klachtd::privacy;
use klachtd::store::Store;

/// Runs `privacy export` or `privacy erase`.
pub fn privacy(env: &Env, command: &PrivacyCommand) -> Result<i32> {
    let (config, store) = env.store()?;
    let store = &store;
    match command {
        PrivacyCommand::Export { address } => {
            let data = privacy::export(store, address).context("reading the store")?;
            outln!(env, "{}", serde_json::to_string_pretty(&data)?);
            if data.is_empty() {
                errln!(env, "klachtd: nothing is stored about {address}");
            }
            Ok(0)
        }
        PrivacyCommand::Erase { address, force } => {
            match privacy::erase(store, address, *force, env.clock.now()) {
                Ok(e) => {
                    outln!(env,
                        "erased {address}: {} case(s) anonymised{}, {} message(s) and {} letter(s) deleted",
                        e.cases.len(),
                        if e.cases.is_empty() { String::new() } else { format!(" ({})", e.cases.join(", ")) },
                        e.messages,
                        e.letters
                    );
                    delete_server_copies(env, &config, store);
                    Ok(0)
                }
                Err(e @ privacy::PrivacyError::OpenCases { .. }) => {
                    errln!(env, "klachtd: refused: {e}");
                    Ok(3)
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Deletes the mail server's copies of what was just erased. When the
/// server cannot be reached they stay queued for the daemon's next connection.
fn delete_server_copies(env: &Env, config: &Config, store: &Store) {
    let done = runtime().and_then(|rt| {
        let watcher = Watcher::new(&config.mailbox).context("preparing the IMAP connection")?;
        rt.block_on(watcher.delete_server_copies_once(store))
            .context("deleting the copies on the mail server")
    });
    match done {
        Ok(n) => outln!(env, "deleted {n} message(s) from the mail server"),
        Err(e) => errln!(env,
            "klachtd: warning: {e:#}; the copies on the mail server stay queued and klachtd deletes them when it next connects"
        ),
    }
}
