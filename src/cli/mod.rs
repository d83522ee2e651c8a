//! The command line: the arguments (a contract with users: names never
//! change), and the environment every subcommand works in — the config
//! file, the store and the one clock, resolved once. One file per group of
//! subcommands.

mod backup;
mod cases;
mod check;
mod classify;
mod failed;
mod policy;
mod privacy;
mod report;
mod run;
mod templates;

use anyhow::{Context as _, Result};
use clap::{Parser, Subcommand};
use klachtd::clock::SharedClock;
use klachtd::config::{Config, ConfigError};
use klachtd::store::Store;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(
    name = "klachtd",
    version,
    about = "Runs a complaints procedure from a mailbox"
)]
pub struct Cli {
    /// Config file (default: $KLACHTD_CONFIG, else /etc/klachtd/klachtd.toml).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, value_parser = ["text", "json"], default_value = "text")]
    pub log_format: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum PrivacyCommand {
    /// Everything stored about a person, as JSON (cases, messages with
    /// attachments, letters).
    Export {
        /// Their mail address.
        address: String,
    },
    /// Remove everything stored about a person: their cases are anonymised
    /// (statistics kept), their messages and letters deleted, also the
    /// copies in the mailbox's folders on the mail server.
    Erase {
        /// Their mail address.
        address: String,
        /// Also when a case is still open (it is closed; no further letters).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve until SIGTERM/SIGINT; SIGHUP reloads templates and policy.
    Run,
    /// One full cycle (fetch, process, send), then exit.
    Once,
    /// Validate config, policy and templates; exit non-zero on problems.
    Check,
    /// Classify raw messages (FILE or - for standard input); built-in rules without a config.
    Classify {
        /// One JSON object per input line.
        #[arg(long)]
        json: bool,
        /// Name the rules that fired and the text they matched.
        #[arg(long)]
        explain: bool,
        /// Raw messages (.eml) or - for standard input.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Score the rules on labelled examples (JSON Lines: id, lang, label, subject, body).
    Eval {
        /// The examples file.
        file: PathBuf,
        /// Print the evaluation as JSON.
        #[arg(long)]
        json: bool,
    },
    /// When a term ends: the due moment (end of the due day, organisation's time zone).
    Deadline {
        /// Moment of receipt (RFC 3339), e.g. 2026-04-24T16:00:00+02:00.
        #[arg(long)]
        from: String,
        /// Term as the procedures write it ("1 werkdag", "2 weken"), or a
        /// term name of the policy (acknowledge, decide) with --policy.
        #[arg(long)]
        term: String,
        /// Policy preset whose term names --term may use.
        #[arg(long)]
        policy: Option<String>,
    },
    /// Policies.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Cases in the store.
    Cases {
        #[command(subcommand)]
        command: CasesCommand,
    },
    /// Messages that could not be processed (dead letters).
    Failed {
        #[command(subcommand)]
        command: FailedCommand,
    },
    /// Write the whole store as JSON Lines (backup, migration). Holds personal
    /// data and the token key: the file is created owner-only.
    Export {
        /// Output file (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// A report of a period: counts, terms, causes, measures, satisfaction.
    Report {
        /// First day (YYYY-MM-DD, local).
        #[arg(long)]
        from: chrono::NaiveDate,
        /// Last day (YYYY-MM-DD, local, inclusive).
        #[arg(long)]
        to: chrono::NaiveDate,
        /// md (for mail), html (with charts), csv or json.
        #[arg(long, default_value = "md")]
        format: klachtd::reports::Format,
        /// Remove names, addresses, phone numbers and other personal data from free text.
        #[arg(long)]
        anonymise: bool,
        /// Output file (default: standard output).
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// The weekly agenda as of now: cases received in the last 7 days, and every open case.
    Agenda {
        /// Remove personal data from free text.
        #[arg(long)]
        anonymise: bool,
    },
    /// The complainant's privacy (AVG/GDPR).
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
    /// Restore an export into an empty store.
    Import {
        /// The export file.
        file: PathBuf,
    },
    /// Letter templates.
    Templates {
        #[command(subcommand)]
        command: TemplatesCommand,
    },
}

#[derive(Subcommand)]
pub enum CasesCommand {
    /// List cases.
    List {
        /// Print JSON (one array).
        #[arg(long)]
        json: bool,
        /// Only cases in this state.
        #[arg(long)]
        state: Option<String>,
        /// Only cases of this handler.
        #[arg(long)]
        handler: Option<String>,
        /// Only open cases past their decision term.
        #[arg(long)]
        overdue: bool,
    },
    /// Show one case with its timeline.
    Show {
        /// Case number, e.g. KL-2026-0001.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum PolicyCommand {
    /// Print a preset (or the configured policy with `--config` and no name).
    Show {
        /// Preset name: generiek, glaspunt, xs2more, vps, optimumconsult.
        name: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum FailedCommand {
    /// List dead letters with their reasons.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a dead letter's raw message.
    Show {
        /// Journal id.
        id: String,
    },
    /// Queue a dead letter for processing again (after fixing the cause).
    Retry {
        /// Journal id.
        id: String,
    },
}

#[derive(Subcommand)]
pub enum TemplatesCommand {
    /// Render a letter against a sample case, or a real one with --case.
    Render {
        /// Template name, e.g. ontvangstbevestiging.
        name: String,
        /// Use this case's data.
        #[arg(long)]
        case: Option<String>,
        /// Language (default: the case's, else the organisation's).
        #[arg(long)]
        lang: Option<String>,
    },
}

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

/// Opens the store at `path`, saying what to do when that fails.
pub fn open_store(path: &Path) -> Result<Store> {
    Store::open(path).with_context(|| {
        format!(
            "opening the store at {} (is a klachtd daemon running? the store allows one process at a time)",
            path.display()
        )
    })
}

/// A runtime for the async parts (IMAP, SMTP).
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// Runs a subcommand; returns the exit code.
pub fn dispatch(env: &Env) -> Result<i32> {
    match &env.cli.command {
        Command::Run => run::run(env),
        Command::Once => run::once(env),
        Command::Check => check::check(env),
        Command::Classify {
            json,
            explain,
            files,
        } => classify::classify(env, *json, *explain, files),
        Command::Eval { file, json } => classify::eval(env, file, *json),
        Command::Deadline { from, term, policy } => {
            policy::deadline(env, from, term, policy.as_deref())
        }
        Command::Policy {
            command: PolicyCommand::Show { name },
        } => policy::show(env, name.as_deref()),
        Command::Cases { command } => cases::cases(env, command),
        Command::Failed { command } => failed::failed(env, command),
        Command::Export { output } => backup::export(env, output.as_deref()),
        Command::Import { file } => backup::import(env, file),
        Command::Templates { command } => templates::templates(env, command),
        Command::Report {
            from,
            to,
            format,
            anonymise,
            output,
        } => report::report(env, (*from, *to), *format, *anonymise, output.as_deref()),
        Command::Agenda { anonymise } => report::agenda(env, *anonymise),
        Command::Privacy { command } => privacy::privacy(env, command),
    }
}
