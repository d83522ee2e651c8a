//! `klachtd export` (the whole store as JSON Lines, owner-only) and
//! `klachtd import` (into an empty store).

use crate::cli::env::Env;
use anyhow::{Context as _, Result};
use std::io::Write as _;
use std::path::Path;

/// Writes the store to `output` (created, must not exist) or standard output.
pub fn export(env: &Env, output: Option<&Path>) -> Result<i32> {
    let (_, store) = env.store()?;
    let mut w = match output {
        Some(path) => env.output_file(path, true)?,
        None => Box::new(env.out()),
    };
    let n = store.export(&mut w)?;
    w.flush()?;
    drop(w);
    errln!(env, "exported {n} entries");
    Ok(0)
}

/// Restores an export into the (empty) store; all or nothing.
pub fn import(env: &Env, file: &Path) -> Result<i32> {
    let (config, store) = env.store()?;
    let bytes = env.read_input(file)?;
    let n = store
        .import(bytes.as_slice())
        .context("importing (nothing was written)")?;
    outln!(
        env,
        "imported {n} entries into {}",
        config.store.path.display()
    );
    Ok(0)
}
