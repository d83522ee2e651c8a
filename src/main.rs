//! The `klachtd` command: a thin shell over the library (see `klachtd --help`).

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand};
use klachtd::case::{self, CaseId};
use klachtd::classify::Classifier;
use klachtd::config::{Config, ConfigError};
use klachtd::daemon::{Daemon, Rules};
use klachtd::store::Store;
use klachtd::{journal, outbox};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "klachtd",
    version,
    about = "Runs a complaints procedure from a mailbox"
)]
struct Cli {
    /// Config file (default: $KLACHTD_CONFIG, else /etc/klachtd/klachtd.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Log format.
    #[arg(long, global = true, value_parser = ["text", "json"], default_value = "text")]
    log_format: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum PrivacyCommand {
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
enum Command {
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
        format: klachtd::report::Format,
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
enum CasesCommand {
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
enum PolicyCommand {
    /// Print a preset (or the configured policy with `--config` and no name).
    Show {
        /// Preset name: generiek, glaspunt, xs2more, vps, optimumconsult.
        name: Option<String>,
    },
}

#[derive(Subcommand)]
enum FailedCommand {
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
enum TemplatesCommand {
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

fn main() {
    // Behave like other command-line tools when the reader goes away
    // (`klachtd cases list | head`): end quietly instead of panicking.
    // SAFETY: restoring the default disposition of SIGPIPE at start-up,
    // before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    init_logging(&cli.log_format);
    match run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("klachtd: {e:#}");
            std::process::exit(1);
        }
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KLACHTD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn load_config(cli: &Cli) -> Result<Config> {
    let path = Config::locate(cli.config.as_deref());
    Config::load(&path).map_err(|e| match e {
        ConfigError::Read { .. } => {
            anyhow::anyhow!("{e}; pass --config FILE or set KLACHTD_CONFIG")
        }
        other => anyhow::anyhow!("{other}"),
    })
}

fn open_store(config: &Config) -> Result<Store> {
    Store::open(&config.store.path).with_context(|| {
        format!(
            "opening the store at {} (is a klachtd daemon running? the store allows one process at a time)",
            config.store.path.display()
        )
    })
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn run(cli: Cli) -> Result<i32> {
    match &cli.command {
        Command::Check => check(&cli),
        Command::Run => {
            let config = load_config(&cli)?;
            let rt = runtime()?;
            let _guard = rt.enter();
            let daemon = Arc::new(
                Daemon::open(config, klachtd::clock::from_env()).context("starting klachtd")?,
            );
            rt.block_on(async move {
                let (tx, rx) = tokio::sync::watch::channel(false);
                tokio::spawn(async move {
                    let mut term =
                        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                            .expect("SIGTERM handler");
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = tokio::signal::ctrl_c() => {}
                    }
                    tracing::info!("shutdown requested");
                    let _ = tx.send(true);
                });
                tracing::info!("klachtd running");
                daemon
                    .serve(rx)
                    .await
                    .context("klachtd stopped with an error")
            })?;
            Ok(0)
        }
        Command::Once => {
            let config = load_config(&cli)?;
            let rt = runtime()?;
            let _guard = rt.enter();
            let daemon =
                Daemon::open(config, klachtd::clock::from_env()).context("starting klachtd")?;
            let report = rt.block_on(daemon.once()).context("running one cycle")?;
            println!(
                "fetched {}, new cases {}, added to cases {}, recorded {}, dead letters {}, reminders/escalations {}, sent {}, deferred {}, failed {}",
                report.fetched,
                report.processed.new_cases,
                report.processed.added,
                report.processed.recorded,
                report.processed.dead,
                report.timers,
                report.sent.sent,
                report.sent.deferred,
                report.sent.failed
            );
            Ok(0)
        }
        Command::Classify {
            json,
            explain,
            files,
        } => classify(&cli, *json, *explain, files),
        Command::Eval { file, json } => eval(&cli, file, *json),
        Command::Deadline { from, term, policy } => deadline(&cli, from, term, policy.as_deref()),
        Command::Policy {
            command: PolicyCommand::Show { name },
        } => policy_show(&cli, name.as_deref()),
        Command::Cases { command } => {
            let config = load_config(&cli)?;
            let store = open_store(&config)?;
            let policy = klachtd::policy::Policy::from_config(&config)?;
            cases(&store, &policy, &config.calendar, command)
        }
        Command::Failed { command } => {
            let config = load_config(&cli)?;
            let store = open_store(&config)?;
            failed(&store, command)
        }
        Command::Export { output } => {
            let config = load_config(&cli)?;
            let store = open_store(&config)?;
            let n = match output {
                Some(path) => {
                    use std::os::unix::fs::OpenOptionsExt;
                    let file = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .mode(0o600)
                        .open(path)
                        .with_context(|| {
                            format!("creating {} (it must not exist yet)", path.display())
                        })?;
                    let mut w = std::io::BufWriter::new(file);
                    let n = store.export(&mut w)?;
                    use std::io::Write;
                    w.flush()?;
                    n
                }
                None => store.export(&mut std::io::stdout().lock())?,
            };
            eprintln!("exported {n} entries");
            Ok(0)
        }
        Command::Import { file } => {
            let config = load_config(&cli)?;
            let store = open_store(&config)?;
            let f =
                std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
            let n = store
                .import(std::io::BufReader::new(f))
                .context("importing (nothing was written)")?;
            println!("imported {n} entries into {}", config.store.path.display());
            Ok(0)
        }
        Command::Templates { command } => {
            let config = load_config(&cli)?;
            templates(&config, command)
        }
        Command::Report {
            from,
            to,
            format,
            anonymise,
            output,
        } => {
            if to < from {
                bail!("--to {to} is before --from {from}");
            }
            let text = with_report_scope(&cli, |store, scope, now| {
                let report = klachtd::report::make(store, scope, *from, *to, now, *anonymise)
                    .context("reading the store")?;
                Ok(report.render(*format))
            })?;
            match output {
                Some(path) => {
                    // A report that is not anonymised holds personal data.
                    use std::io::Write as _;
                    use std::os::unix::fs::OpenOptionsExt;
                    std::fs::OpenOptions::new()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .mode(0o600)
                        .open(path)
                        .and_then(|mut f| f.write_all(text.as_bytes()))
                        .with_context(|| format!("writing {}", path.display()))?
                }
                None => print!("{text}"),
            }
            Ok(0)
        }
        Command::Agenda { anonymise } => {
            let text = with_report_scope(&cli, |store, scope, now| {
                let agenda = klachtd::report::agenda(
                    store,
                    scope,
                    now - chrono::Duration::days(7),
                    now,
                    *anonymise,
                )
                .context("reading the store")?;
                Ok(agenda.markdown())
            })?;
            print!("{text}");
            Ok(0)
        }
        Command::Privacy { command } => {
            let config = load_config(&cli)?;
            let store = open_store(&config)?;
            privacy(&config, &store, command)
        }
    }
}

/// Runs `f` with the store, the report scope of the config and the time now.
fn with_report_scope<T>(
    cli: &Cli,
    f: impl FnOnce(&Store, &klachtd::report::Scope<'_>, chrono::DateTime<chrono::Utc>) -> Result<T>,
) -> Result<T> {
    let config = load_config(cli)?;
    let store = open_store(&config)?;
    let policy = klachtd::policy::Policy::from_config(&config)?;
    let known = klachtd::periodic::staff_names(&config);
    let scope = klachtd::report::Scope {
        organisation: &config.organization.name,
        policy: &policy,
        calendar: &config.calendar,
        known: &known,
    };
    f(&store, &scope, klachtd::clock::from_env().now())
}

fn privacy(config: &Config, store: &Store, command: &PrivacyCommand) -> Result<i32> {
    match command {
        PrivacyCommand::Export { address } => {
            let data = klachtd::privacy::export(store, address).context("reading the store")?;
            println!("{}", serde_json::to_string_pretty(&data)?);
            if data.is_empty() {
                eprintln!("klachtd: nothing is stored about {address}");
            }
            Ok(0)
        }
        PrivacyCommand::Erase { address, force } => {
            let now = klachtd::clock::from_env().now();
            match klachtd::privacy::erase(store, address, *force, now) {
                Ok(e) => {
                    println!(
                        "erased {address}: {} case(s) anonymised{}, {} message(s) and {} letter(s) deleted",
                        e.cases.len(),
                        if e.cases.is_empty() { String::new() } else { format!(" ({})", e.cases.join(", ")) },
                        e.messages,
                        e.letters
                    );
                    delete_server_copies(config, store);
                    Ok(0)
                }
                Err(e @ klachtd::privacy::PrivacyError::OpenCases { .. }) => {
                    eprintln!("klachtd: refused: {e}");
                    Ok(3)
                }
                Err(e) => Err(e.into()),
            }
        }
    }
}

/// Deletes the mail server's copies of what was just erased. When the
/// server cannot be reached they stay queued for the daemon's next connection.
fn delete_server_copies(config: &Config, store: &Store) {
    let done = runtime().and_then(|rt| {
        let watcher = klachtd::watcher::Watcher::new(&config.mailbox)
            .context("preparing the IMAP connection")?;
        rt.block_on(watcher.delete_server_copies_once(store))
            .context("deleting the copies on the mail server")
    });
    match done {
        Ok(n) => println!("deleted {n} message(s) from the mail server"),
        Err(e) => eprintln!(
            "klachtd: warning: {e:#}; the copies on the mail server stay queued and klachtd deletes them when it next connects"
        ),
    }
}

/// The classifier of the config (its rules file), or the built-in rules
/// when no config is given or found.
fn classifier(cli: &Cli) -> Result<Classifier> {
    let path = Config::locate(cli.config.as_deref());
    if cli.config.is_none() && !path.exists() {
        return Ok(Classifier::builtin());
    }
    let config = load_config(cli)?;
    config.classifier().map_err(|errs| {
        anyhow::anyhow!(
            "rules file problems:\n{}",
            errs.iter()
                .map(|e| format!("  - {e}"))
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn classify(cli: &Cli, json: bool, explain: bool, files: &[PathBuf]) -> Result<i32> {
    use std::io::Read;
    let c = classifier(cli)?;
    for f in files {
        let (name, raw) = if f.as_os_str() == "-" {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .context("reading standard input")?;
            ("-".to_string(), buf)
        } else {
            let raw = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
            (f.display().to_string(), raw)
        };
        let v = match klachtd::inbound::Inbound::parse(&raw) {
            Some(m) => c.classify_message(&m),
            None => c.classify_text("", &String::from_utf8_lossy(&raw)),
        };
        if json {
            let rules: Vec<_> = v
                .rules
                .iter()
                .map(|r| serde_json::json!({"id": r.id, "weight": r.weight, "matched": r.matched.join(" | ")}))
                .collect();
            println!(
                "{}",
                serde_json::json!({
                    "file": name, "label": v.label, "score": v.score, "category": v.category,
                    "urgent": v.urgent, "auto_generated": v.auto_generated, "rules": rules,
                })
            );
            continue;
        }
        println!(
            "{name}: {} (score {:.1}){}{}{}",
            v.label,
            v.score,
            v.category
                .as_deref()
                .map(|c| format!(", categorie {c}"))
                .unwrap_or_default(),
            if v.urgent { ", URGENT" } else { "" },
            v.auto_reason
                .as_deref()
                .map(|r| format!(", automatic: {r}"))
                .unwrap_or_default()
        );
        if explain {
            let scores: Vec<String> = v
                .scores
                .iter()
                .map(|(l, s)| format!("{l} {s:.1}"))
                .collect();
            println!("  scores: {}", scores.join(", "));
            for r in &v.rules {
                println!(
                    "  {:+.1} {:<24} {:<28} {}",
                    r.weight,
                    r.id,
                    r.label,
                    r.matched.join(" | ")
                );
            }
        }
    }
    Ok(0)
}

fn eval(cli: &Cli, file: &std::path::Path, json: bool) -> Result<i32> {
    let c = classifier(cli)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let examples = klachtd::classify::read_examples(&text)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let ev = c.evaluate(&examples);
    if json {
        println!("{}", serde_json::to_string_pretty(&ev)?);
        return Ok(0);
    }
    println!("{} examples", ev.total);
    println!(
        "{:<12} {:>9} {:>9} {:>9} {:>8}",
        "label", "precision", "recall", "f1", "support"
    );
    for l in &ev.labels {
        println!(
            "{:<12} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            l.label, l.precision, l.recall, l.f1, l.support
        );
    }
    println!("\nconfusion (rows expected, columns predicted):");
    print!("{:<12}", "");
    for l in klachtd::classify::LABELS {
        print!("{l:>11}");
    }
    println!();
    for (i, row) in ev.confusion.iter().enumerate() {
        print!("{:<12}", klachtd::classify::LABELS[i]);
        for n in row {
            print!("{n:>11}");
        }
        println!();
    }
    if !ev.misclassified.is_empty() {
        println!("\nmisclassified:");
        for (id, want, got) in &ev.misclassified {
            println!("  {id}: expected {want}, got {got}");
        }
    }
    Ok(0)
}

/// The configured calendar, or the default Dutch one without a config.
fn calendar(cli: &Cli) -> Result<klachtd::deadline::Calendar> {
    let path = Config::locate(cli.config.as_deref());
    if cli.config.is_none() && !path.exists() {
        return Ok(klachtd::deadline::Calendar::default());
    }
    Ok(load_config(cli)?.calendar)
}

fn deadline(cli: &Cli, from: &str, term: &str, policy: Option<&str>) -> Result<i32> {
    let from = chrono::DateTime::parse_from_rfc3339(from)
        .with_context(|| {
            format!("--from '{from}' is not an RFC 3339 time like 2026-04-24T16:00:00+02:00")
        })?
        .with_timezone(&chrono::Utc);
    let term: klachtd::deadline::Term = match (term.parse(), policy) {
        (Ok(t), _) => t,
        (Err(e), None) => bail!("{e}"),
        (Err(_), Some(p)) => {
            let p = klachtd::policy::Policy::preset(p)?;
            match term {
                "acknowledge" | "ontvangstbevestiging" => p.terms.acknowledge,
                "decide" | "standpunt" => p.terms.decide,
                other => bail!("policy {} has no term '{other}'; its terms are acknowledge ({}) and decide ({})", p.name, p.terms.acknowledge, p.terms.decide),
            }
        }
    };
    let cal = calendar(cli)?;
    println!(
        "{}",
        cal.due(from, term).with_timezone(&cal.tz).to_rfc3339()
    );
    Ok(0)
}

fn policy_show(cli: &Cli, name: Option<&str>) -> Result<i32> {
    let p = match name {
        Some(n) => klachtd::policy::Policy::preset(n)?,
        None => klachtd::policy::Policy::from_config(&load_config(cli)?)?,
    };
    println!("{} — {}", p.name, p.description);
    println!("terms:");
    println!("  acknowledge: {}", p.terms.acknowledge);
    println!("  decide:      {}", p.terms.decide);
    for step in &p.steps {
        println!(
            "  {}: {} from {:?}: {}",
            step.name,
            step.within,
            step.from,
            step.describe("nl")
        );
    }
    if let Some(every) = p.interim_every {
        println!("interim update every {every}");
    }
    if !p.required_data.is_empty() {
        println!("required data: {}", p.required_data.join(", "));
    }
    println!(
        "judgement required before resolving: {}",
        if p.requires_judgement { "yes" } else { "no" }
    );
    println!(
        "extensions: {}",
        p.max_extensions
            .map(|n| n.to_string())
            .unwrap_or_else(|| "no limit".into())
    );
    let a = &p.actions;
    println!(
        "actions: klacht {:?}, compliment {:?}, idee {:?}, vraag {:?}, overig {:?}",
        a.klacht, a.compliment, a.idee, a.vraag, a.overig
    );
    for (lang, text) in &p.handling {
        println!("handling ({lang}): {text}");
    }
    Ok(0)
}

fn check(cli: &Cli) -> Result<i32> {
    let path = Config::locate(cli.config.as_deref());
    let config = match Config::load(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };
    match Rules::load(&config) {
        Ok(_) => {
            println!(
                "{}: configuration, policy and templates are valid",
                path.display()
            );
            Ok(0)
        }
        Err(problems) => {
            eprintln!("{} problem(s) in {}:", problems.len(), path.display());
            for p in problems {
                eprintln!("  - {p}");
            }
            Ok(2)
        }
    }
}

fn cases(
    store: &Store,
    policy: &klachtd::policy::Policy,
    calendar: &klachtd::deadline::Calendar,
    command: &CasesCommand,
) -> Result<i32> {
    let now = klachtd::clock::from_env().now();
    match command {
        CasesCommand::List {
            json,
            state,
            handler,
            overdue,
        } => {
            let mut all = case::all(store)?;
            if let Some(s) = state {
                all.retain(|c| c.state.as_str() == s);
            }
            if let Some(h) = handler {
                all.retain(|c| {
                    c.handler
                        .as_deref()
                        .is_some_and(|x| x.eq_ignore_ascii_case(h))
                });
            }
            if *overdue {
                all.retain(|c| policy.overdue(c, calendar, now));
            }
            if *json {
                println!("{}", serde_json::to_string_pretty(&all)?);
            } else {
                println!(
                    "{:<14} {:<20} {:<17} {:<32} SUBJECT",
                    "CASE", "STATE", "RECEIVED", "COMPLAINANT"
                );
                for c in all {
                    println!(
                        "{:<14} {:<20} {:<17} {:<32} {}",
                        c.id.to_string(),
                        c.state.as_str(),
                        c.received.format("%Y-%m-%d %H:%M"),
                        c.complainant,
                        c.subject
                    );
                }
            }
            Ok(0)
        }
        CasesCommand::Show { id, json } => {
            let id: CaseId = id.parse().map_err(anyhow::Error::msg)?;
            let Some(c) = case::load(store, id)? else {
                bail!("no case {id}; `klachtd cases list` shows the cases there are");
            };
            let events = case::events(store, id)?;
            let letters = outbox::items(store, Some(id))?;
            let timers = klachtd::scheduler::pending(store, id)?;
            if *json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "case": c, "events": events, "outbox": letters, "timers": timers
                    }))?
                );
                return Ok(0);
            }
            println!("{}  {}", c.id, c.subject);
            println!("  state:        {}", c.state);
            println!(
                "  complainant:  {}{}",
                c.name
                    .as_deref()
                    .map(|n| format!("{n} "))
                    .unwrap_or_default(),
                format_args!("<{}>", c.complainant)
            );
            println!("  received:     {}", c.received.to_rfc3339());
            println!(
                "  acknowledged: {}",
                c.acknowledged
                    .map(|a| a.to_rfc3339())
                    .unwrap_or_else(|| "-".into())
            );
            println!("  handler:      {}", c.handler.as_deref().unwrap_or("-"));
            println!(
                "  category:     {}{}",
                c.category.as_deref().unwrap_or("-"),
                if c.urgent { " (URGENT)" } else { "" }
            );
            println!(
                "  position due: {}{}",
                policy
                    .decision_due(&c, calendar)
                    .with_timezone(&calendar.tz)
                    .format("%Y-%m-%d %H:%M"),
                if policy.overdue(&c, calendar, now) {
                    "  OVERDUE"
                } else {
                    ""
                }
            );
            if let Some(j) = c.justified {
                println!(
                    "  judged:       {}",
                    if j { "gegrond" } else { "ongegrond" }
                );
            }
            for o in &c.offers {
                println!("  offer:        {o}");
            }
            if let Some(a) = c.offer_accepted {
                println!(
                    "  offer answer: {}",
                    if a { "aanvaard" } else { "afgewezen" }
                );
            }
            if !c.involved.is_empty() {
                println!("  involved:     {}", c.involved.join(", "));
            }
            for e in &c.extensions {
                println!("  extended by:  {e}");
            }
            if let Some(o) = &c.outcome {
                println!("  outcome:      {o}");
            }
            if let Some(s) = &c.satisfaction {
                println!("  satisfaction: {s}");
            }
            if let Some(cause) = &c.cause {
                println!("  cause:        {cause}");
            }
            for m in &c.measures {
                println!("  measure:      {m}");
            }
            if let Some(r) = c.resolved {
                println!("  resolved:     {}", r.to_rfc3339());
            }
            println!("  summary:      {}", c.summary);
            for t in &timers {
                println!(
                    "  timer:        {} at {}",
                    serde_json::to_value(&t.kind)?
                        .get("kind")
                        .and_then(|k| k.as_str())
                        .unwrap_or(""),
                    t.at.with_timezone(&calendar.tz).format("%Y-%m-%d %H:%M")
                );
            }
            println!("timeline:");
            for e in events {
                let what = serde_json::to_value(&e.kind)?;
                let kind = what
                    .get("type")
                    .and_then(|t| t.as_str())
                    .unwrap_or("")
                    .to_string();
                let detail: Vec<String> = what
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| k.as_str() != "type")
                    .map(|(k, v)| {
                        format!(
                            "{k}={}",
                            v.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| v.to_string())
                        )
                    })
                    .collect();
                println!(
                    "  {}  {:<16} {:<24} {}",
                    e.at.format("%Y-%m-%d %H:%M:%S"),
                    kind,
                    e.actor,
                    detail.join(" ")
                );
            }
            Ok(0)
        }
    }
}

fn failed(store: &Store, command: &FailedCommand) -> Result<i32> {
    match command {
        FailedCommand::List { json } => {
            let dead = journal::dead_letters(store)?;
            if *json {
                println!("{}", serde_json::to_string_pretty(&dead)?);
            } else if dead.is_empty() {
                println!("no dead letters");
            } else {
                for e in dead {
                    let reason = match &e.status {
                        journal::Status::Dead { reason, .. } => reason.as_str(),
                        _ => "",
                    };
                    println!(
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
            std::io::stdout().write_all(&raw)?;
            Ok(0)
        }
        FailedCommand::Retry { id } => {
            if journal::retry_dead(store, id, chrono::Utc::now())? {
                println!("{id} queued again; the next cycle processes it");
                Ok(0)
            } else {
                bail!("{id} is not a dead letter (see `klachtd failed list`)")
            }
        }
    }
}

fn templates(config: &Config, command: &TemplatesCommand) -> Result<i32> {
    match command {
        TemplatesCommand::Render {
            name,
            case: case_id,
            lang,
        } => {
            let rules = Rules::load(config).map_err(|p| {
                anyhow::anyhow!(
                    "{}",
                    p.iter()
                        .map(|p| format!("  - {p}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })?;
            let (ctx, case_lang) = match case_id {
                Some(id) => {
                    let id: CaseId = id.parse().map_err(anyhow::Error::msg)?;
                    let store = open_store(config)?;
                    let c = case::load(&store, id)?.with_context(|| format!("no case {id}"))?;
                    let signer = klachtd::token::Signer::load_or_create(&store)?;
                    let calendar = config.calendar.clone();
                    let sender = outbox::Sender {
                        from: config.smtp.from.clone(),
                        complaints_address: config.organization.complaints_address.clone(),
                        witness: false,
                    };
                    let ctx = klachtd::processor::Context {
                        config,
                        letters: &rules.letters,
                        policy: &rules.policy,
                        calendar: &calendar,
                        signer: &signer,
                        sender: &sender,
                        classifier: &rules.classifier,
                    };
                    (
                        klachtd::processor::letter_context(&ctx, &c),
                        c.language.clone(),
                    )
                }
                None => (
                    klachtd::letter::sample_context(),
                    config.organization.language.clone(),
                ),
            };
            let lang = lang.clone().unwrap_or(case_lang);
            let r = rules.letters.render(&lang, name, &ctx)?;
            println!("Subject: {}\n\n{}", r.subject, r.body);
            Ok(0)
        }
    }
}
