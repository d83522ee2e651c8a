//! The environment every subcommand works in: the parsed arguments, the
//! config file, the store and the one clock, resolved once.

use crate::cli::args::Cli;
use anyhow::{Context as _, Result};
use klachtd::clock::SharedClock;
use klachtd::config::{Config, ConfigError};
use klachtd::store::Store;
use std::path::{Path, PathBuf};

/// What every subcommand works with: the arguments and the clock.
pub struct Env {
    /// The parsed command line.
    pub cli: Cli,
    /// The one clock (the system clock; moved only for tests of the binary,
    /// through `KLACHTD_FAKE_NOW`).
    pub clock: SharedClock,
}

impl Env {
    /// The config file's path.
    pub fn config_path(&self) -> PathBuf {
        Config::locate(self.cli.config.as_deref())
    }

    /// Whether a config was named or exists at the default place.
    pub fn has_config(&self) -> bool {
        self.cli.config.is_some() || self.config_path().exists()
    }

    /// The loaded config; every problem is named.
    pub fn config(&self) -> Result<Config> {
        Config::load(&self.config_path()).map_err(|e| match e {
            ConfigError::Read { .. } => {
                anyhow::anyhow!("{e}; pass --config FILE or set KLACHTD_CONFIG")
            }
            other => anyhow::anyhow!("{other}"),
        })
    }

    /// The config and its store.
    pub fn store(&self) -> Result<(Config, Store)> {
        let config = self.config()?;
        let store = open_store(&config.store.path)?;
        Ok((config, store))
    }
}

/// Opens the store at `path`; the error says what to do (another process
/// holds it, it is damaged, the folder cannot be made).
pub fn open_store(path: &Path) -> Result<Store> {
    Ok(Store::open(path)?)
}

/// A runtime for the async parts (IMAP, SMTP).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}
