//! The command line's arguments: a contract with users (names never change).

use clap::{Parser, Subcommand};
use std::path::PathBuf;

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
    Check {
        /// Also log in to IMAP (both folders) and open an SMTP session, without sending.
        #[arg(long)]
        connect: bool,
    },
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
    /// Score the rules on labelled examples (JSON Lines: id, lang, label, subject, body),
    /// or with --corrections on the corrections staff made (#klacht, #geen-klacht, …).
    Eval {
        /// The examples file.
        #[arg(required_unless_present = "corrections")]
        file: Option<PathBuf>,
        /// Score on the corrections staff made, kept in the store.
        #[arg(long)]
        corrections: bool,
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
        /// Only cases in this state (ontvangen, in_behandeling, …) or group (open, closed).
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
    /// List the letter templates: language, name, where each comes from
    /// (built-in, overridden by the folder, added) and whether it is broken.
    List,
    /// Render a letter with the config's organisation, policy and terms,
    /// against a realistic sample case, or a real one with --case.
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
