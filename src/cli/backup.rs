//! `klachtd export` (the whole store as JSON Lines, owner-only) and
//! `klachtd import` (into an empty store).

use crate::cli::env::Env;
use anyhow::{Context as _, Result};
use std::path::Path;

/// Writes the store to `output` (created, must not exist) or standard output.
pub fn export(env: &Env, output: Option<&Path>) -> Result<i32> {
    let (_, store) = env.store()?;
    let n = match output {
        Some(path) => {
            use std::io::Write as _;
            use std::os::unix::fs::OpenOptionsExt;
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .with_context(|| format!("creating {} (it must not exist yet)", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            let n = store.export(&mut w)?;
            w.flush()?;
            n
        }
        None => store.export(&mut std::io::stdout().lock())?,
    };
    eprintln!("exported {n} entries");
    Ok(0)
}

/// Restores an export into the (empty) store; all or nothing.
pub fn import(env: &Env, file: &Path) -> Result<i32> {
    let (config, store) = env.store()?;
    let f = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
    let n = store
        .import(std::io::BufReader::new(f))
        .context("importing (nothing was written)")?;
    println!("imported {n} entries into {}", config.store.path.display());
    Ok(0)
}
