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

/// Restores an export into the (empty) store: every line is read before
/// anything is written, then written in commits (a store whose import did
/// not finish is refused at open).
pub fn import(env: &Env, file: &Path) -> Result<i32> {
    let (config, store) = env.store()?;
    let n = if env.daemon.is_some() {
        let bytes = env.read_input(file)?;
        store.import(|| Ok(bytes.as_slice()))
    } else {
        // Read from the file twice rather than held in memory.
        store.import(|| std::fs::File::open(file).map(std::io::BufReader::new))
    }
    .with_context(|| format!("importing {}", file.display()))?;
    outln!(
        env,
        "imported {n} entries into {}",
        config.store.path.display()
    );
    Ok(0)
}
