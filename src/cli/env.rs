//! The environment every subcommand works in: the parsed arguments, the
//! config file, the store and the one clock, resolved once; and where its
//! output goes (the terminal, or a buffer the control socket sends back
//! when the command runs inside the daemon).

use crate::cli::args::Cli;
use anyhow::{Context as _, Result};
use klachtd::clock::SharedClock;
use klachtd::config::{Config, ConfigError};
use klachtd::store::Store;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// What every subcommand works with: the arguments, the clock, the store
/// and where the output goes.
pub struct Env {
    /// The parsed command line.
    pub cli: Cli,
    /// The one clock (the system clock; moved only for tests of the binary,
    /// through `KLACHTD_FAKE_NOW`).
    pub clock: SharedClock,
    /// Set when the command runs inside the daemon for a CLI beside it.
    pub daemon: Option<Inside>,
    /// Runs a subcommand (`cli::dispatch`, passed in so that the control
    /// socket can run commands without importing the dispatcher).
    pub dispatch: fn(&Env) -> Result<i32>,
}

/// A command run inside the daemon: its config and open store, the input
/// files the CLI sent, and the captured output.
pub struct Inside {
    /// The daemon's config.
    pub config: Config,
    /// The daemon's store (shared with its loops; the store serialises commits).
    pub store: Store,
    /// Files the CLI read for the command (`import FILE`, `eval FILE`).
    pub files: HashMap<PathBuf, Vec<u8>>,
    /// Standard output, sent back.
    pub stdout: Mutex<Vec<u8>>,
    /// Standard error, sent back.
    pub stderr: Mutex<Vec<u8>>,
}

/// Standard output or error: the terminal's, or the captured buffer.
pub enum Sink<'a> {
    /// The process's standard output.
    Stdout(std::io::StdoutLock<'static>),
    /// The process's standard error.
    Stderr(std::io::StderrLock<'static>),
    /// A buffer sent back over the control socket.
    Buffer(MutexGuard<'a, Vec<u8>>),
}

impl Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Stdout(w) => w.write(buf),
            Sink::Stderr(w) => w.write(buf),
            Sink::Buffer(b) => b.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(w) => w.flush(),
            Sink::Stderr(w) => w.flush(),
            Sink::Buffer(_) => Ok(()),
        }
    }
}

impl Env {
    /// The config file's path.
    pub fn config_path(&self) -> PathBuf {
        Config::locate(self.cli.config.as_deref())
    }

    /// Whether a config was named or exists at the default place.
    pub fn has_config(&self) -> bool {
        self.daemon.is_some() || self.cli.config.is_some() || self.config_path().exists()
    }

    /// The loaded config (inside the daemon, the daemon's); every problem is named.
    pub fn config(&self) -> Result<Config> {
        if let Some(inside) = &self.daemon {
            return Ok(inside.config.clone());
        }
        Config::load(&self.config_path()).map_err(|e| match e {
            ConfigError::Read { .. } => {
                anyhow::anyhow!("{e}; pass --config FILE or set KLACHTD_CONFIG")
            }
            other => anyhow::anyhow!("{other}"),
        })
    }

    /// The config and its store (inside the daemon, the daemon's open one).
    pub fn store(&self) -> Result<(Config, Store)> {
        if let Some(inside) = &self.daemon {
            return Ok((inside.config.clone(), inside.store.clone()));
        }
        let config = self.config()?;
        let store = open_store(&config.store.path)?;
        Ok((config, store))
    }

    /// Standard output (captured inside the daemon).
    pub fn out(&self) -> Sink<'_> {
        match &self.daemon {
            Some(inside) => Sink::Buffer(inside.stdout.lock().unwrap_or_else(|p| p.into_inner())),
            None => Sink::Stdout(std::io::stdout().lock()),
        }
    }

    /// Standard error (captured inside the daemon).
    pub fn err(&self) -> Sink<'_> {
        match &self.daemon {
            Some(inside) => Sink::Buffer(inside.stderr.lock().unwrap_or_else(|p| p.into_inner())),
            None => Sink::Stderr(std::io::stderr().lock()),
        }
    }

    /// The bytes of an input file the user named (inside the daemon, as
    /// the CLI read them: the daemon never opens the user's paths).
    pub fn read_input(&self, path: &Path) -> Result<Vec<u8>> {
        match &self.daemon {
            Some(inside) => inside
                .files
                .get(path)
                .cloned()
                .with_context(|| format!("{} was not sent along", path.display())),
            None => std::fs::read(path).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Where an output file's bytes go: the file, created owner-only
    /// (`new`: it must not exist yet), or inside the daemon standard
    /// output, which the CLI then writes to the file the same way.
    pub fn output_file(&self, path: &Path, new: bool) -> Result<Box<dyn Write + '_>> {
        if self.daemon.is_some() {
            return Ok(Box::new(self.out()));
        }
        Ok(Box::new(std::io::BufWriter::new(create_owner_only(
            path, new,
        )?)))
    }
}

/// Creates `path` readable by its owner only: `new` refuses an existing
/// file, otherwise it is truncated. The error names the path.
pub fn create_owner_only(path: &Path, new: bool) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).mode(0o600);
    if new {
        o.create_new(true);
    } else {
        o.create(true).truncate(true);
    }
    o.open(path).with_context(|| {
        if new {
            format!("creating {} (it must not exist yet)", path.display())
        } else {
            format!("writing {}", path.display())
        }
    })
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
