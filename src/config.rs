//! The configuration contract: loading `klachtd.toml`, resolving secrets and
//! relative paths, and `check`, which reports every problem it finds with the
//! key it concerns and what to do about it.

use serde::Deserialize;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Environment variable that may name the config file.
pub const CONFIG_ENV: &str = "KLACHTD_CONFIG";

/// One problem found in the configuration, tied to the key it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key, e.g. `mailbox.port`, or a file name for file problems.
    pub key: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// Errors from loading a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The path that was tried.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file was read but has problems.
    #[error("{} problem(s) in {}:\n{}", .problems.len(), .path.display(), format_problems(.problems))]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

fn format_problems(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  - {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A secret (password) that never shows up in logs or debug output.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The secret value, for handing to a login call only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plaintext (only sensible on loopback).
    None,
    /// Plaintext connect, then STARTTLS (required, never downgraded).
    Starttls,
    /// Implicit TLS from the first byte.
    Tls,
}

/// `[organization]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The organisation's name, used in letters.
    pub name: String,
    /// The complaints address customers write to.
    pub complaints_address: String,
    /// IANA time zone for terms and dates in letters.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Default language of letters (`nl` or `en`).
    #[serde(default = "default_language")]
    pub language: String,
}

fn default_timezone() -> String {
    "Europe/Amsterdam".into()
}
fn default_language() -> String {
    "nl".into()
}

/// Raw `[mailbox]` as written in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMailbox {
    host: String,
    #[serde(default = "default_imap_port")]
    port: u16,
    #[serde(default = "default_tls")]
    tls: TlsMode,
    ca_file: Option<PathBuf>,
    username: String,
    password_file: Option<PathBuf>,
    password_env: Option<String>,
    password: Option<toml::Value>,
    #[serde(default = "default_folder")]
    folder: String,
    #[serde(default = "default_processed")]
    processed_folder: String,
    #[serde(default = "default_true")]
    idle: bool,
    #[serde(default = "default_poll")]
    poll_interval_secs: u64,
    #[serde(default = "default_io_timeout")]
    timeout_secs: u64,
    #[serde(default = "default_idle_renew")]
    idle_renew_secs: u64,
}

fn default_imap_port() -> u16 {
    993
}
fn default_tls() -> TlsMode {
    TlsMode::Tls
}
fn default_folder() -> String {
    "INBOX".into()
}
fn default_processed() -> String {
    "Verwerkt".into()
}
fn default_true() -> bool {
    true
}
fn default_poll() -> u64 {
    60
}
fn default_io_timeout() -> u64 {
    60
}
fn default_idle_renew() -> u64 {
    25 * 60
}

/// `[mailbox]`: the IMAP mailbox klachtd reads.
#[derive(Debug, Clone)]
pub struct Mailbox {
    /// Server host name (also the TLS server name).
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub tls: TlsMode,
    /// PEM file with the CA(s) to trust instead of the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// Login name.
    pub username: String,
    /// Login password.
    pub password: Secret,
    /// Folder that receives complaints.
    pub folder: String,
    /// Folder processed messages are moved to (created if absent).
    pub processed_folder: String,
    /// Use IMAP IDLE where the server offers it.
    pub idle: bool,
    /// Poll interval where IDLE is off or unavailable.
    pub poll_interval: Duration,
    /// Read/write timeout for every IMAP command.
    pub timeout: Duration,
    /// IDLE is renewed after this long (below the 29 minutes of RFC 2177).
    pub idle_renew: Duration,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    host: String,
    #[serde(default = "default_smtp_port")]
    port: u16,
    #[serde(default = "default_smtp_tls")]
    tls: TlsMode,
    ca_file: Option<PathBuf>,
    username: Option<String>,
    password_file: Option<PathBuf>,
    password_env: Option<String>,
    password: Option<toml::Value>,
    from: String,
    #[serde(default = "default_io_timeout")]
    timeout_secs: u64,
}

fn default_smtp_port() -> u16 {
    587
}
fn default_smtp_tls() -> TlsMode {
    TlsMode::Starttls
}

/// `[smtp]`: where klachtd sends its mail.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// Server host name (also the TLS server name).
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub tls: TlsMode,
    /// PEM file with the CA(s) to trust instead of the built-in roots.
    pub ca_file: Option<PathBuf>,
    /// Login name and password, when the server wants authentication.
    pub credentials: Option<(String, Secret)>,
    /// The `From:` of every mail klachtd sends (display name allowed).
    pub from: String,
    /// Timeout for one whole send.
    pub timeout: Duration,
}

/// `[store]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Store {
    /// Directory of the embedded store (created owner-only).
    pub path: PathBuf,
}

/// `[policy]`: which procedure applies.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PolicyRef {
    /// A built-in preset name.
    pub preset: Option<String>,
    /// Or a policy file of the admin's own.
    pub file: Option<PathBuf>,
}

/// `[staff]`: who counts as staff and who gets what.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Staff {
    /// The complaints coordinator: default handler, gets alerts.
    #[serde(default)]
    pub coordinator: String,
    /// Management: escalations and reports.
    #[serde(default)]
    pub management: Vec<String>,
    /// Individual staff addresses.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Whole domains whose addresses are staff.
    #[serde(default)]
    pub domains: Vec<String>,
    /// Names by which customers mention staff (`"Ruud Kramer" = "ruud@org.nl"`),
    /// so a compliment reaches the person it names.
    #[serde(default)]
    pub directory: std::collections::BTreeMap<String, String>,
    /// `authserv-id`s of our own mail servers whose `Authentication-Results`
    /// (dkim=pass, or spf=pass aligned with the From domain) authenticate staff
    /// mail without a token.
    #[serde(default)]
    pub trusted_authserv_ids: Vec<String>,
    /// Addresses of the roles a policy names (`kwaliteitsmanager = "kwaliteit@org.nl"`).
    #[serde(default)]
    pub roles: std::collections::BTreeMap<String, String>,
}

/// `[outbox]`: delivery of outgoing mail.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbox {
    /// Attempts before an item is marked failed and the coordinator told.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// Send a copy of every outgoing mail to the complaints mailbox; the copy
    /// proves delivery to the MTA after a crash mid-send, so nothing is sent twice.
    #[serde(default = "default_true")]
    pub witness: bool,
    /// How long an item interrupted mid-send waits for its witness copy
    /// before it is sent again.
    #[serde(default = "default_witness_wait")]
    pub witness_wait_secs: u64,
}

fn default_attempts() -> u32 {
    8
}
fn default_witness_wait() -> u64 {
    120
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            max_attempts: default_attempts(),
            witness: true,
            witness_wait_secs: default_witness_wait(),
        }
    }
}

/// `[limits]`: bounds on input.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Messages larger than this are kept as dead letters, not parsed.
    #[serde(default = "default_max_message")]
    pub max_message_bytes: u64,
    /// Attachments larger than this are dropped (and recorded as such).
    #[serde(default = "default_max_attachment")]
    pub max_attachment_bytes: u64,
    /// Automatic replies one address may get per hour (stops mail loops).
    #[serde(default = "default_per_recipient")]
    pub auto_replies_per_recipient_per_hour: u32,
    /// Automatic replies in all per hour.
    #[serde(default = "default_per_hour")]
    pub auto_replies_per_hour: u32,
}

fn default_per_recipient() -> u32 {
    5
}
fn default_per_hour() -> u32 {
    500
}

fn default_max_message() -> u64 {
    64 * 1024 * 1024
}
fn default_max_attachment() -> u64 {
    15 * 1024 * 1024
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: default_max_message(),
            max_attachment_bytes: default_max_attachment(),
            auto_replies_per_recipient_per_hour: default_per_recipient(),
            auto_replies_per_hour: default_per_hour(),
        }
    }
}

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the config was loaded from.
    pub path: PathBuf,
    /// `[organization]`.
    pub organization: Organization,
    /// `[mailbox]`.
    pub mailbox: Mailbox,
    /// `[smtp]`.
    pub smtp: Smtp,
    /// `[store]`.
    pub store: Store,
    /// `[policy]`.
    pub policy: PolicyRef,
    /// `[staff]`.
    pub staff: Staff,
    /// `[outbox]`.
    pub outbox: Outbox,
    /// `[limits]`.
    pub limits: Limits,
    /// Directory of the letter templates (`templates/<lang>/<name>.txt.j2`).
    pub templates_dir: PathBuf,
    /// The admin's rules file (`[classifier] rules`); built-in rules when absent.
    pub rules_file: Option<PathBuf>,
    /// The working-day calendar (organisation's time zone, `[calendar]`).
    pub calendar: crate::deadline::Calendar,
}

/// `[calendar]`: which days are not working days beyond weekends and the
/// recognised holidays.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarSection {
    #[serde(default = "default_true")]
    bevrijdingsdag: bool,
    #[serde(default = "default_true")]
    goede_vrijdag: bool,
    #[serde(default)]
    closed: Vec<chrono::NaiveDate>,
}

impl Default for CalendarSection {
    fn default() -> Self {
        CalendarSection {
            bevrijdingsdag: true,
            goede_vrijdag: true,
            closed: Vec::new(),
        }
    }
}

const SECTIONS: &[&str] = &[
    "organization",
    "mailbox",
    "smtp",
    "store",
    "policy",
    "staff",
    "outbox",
    "limits",
    "templates",
    "classifier",
    "calendar",
];

/// Collects problems while a config is validated.
struct Checker {
    problems: Vec<Problem>,
    base: PathBuf,
}

impl Checker {
    fn problem(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            key: key.into(),
            message: message.into(),
        });
    }

    fn section<T: for<'de> Deserialize<'de>>(
        &mut self,
        table: &toml::Table,
        name: &str,
        required: bool,
    ) -> Option<T> {
        let value = match table.get(name) {
            Some(v) => v.clone(),
            None if required => {
                self.problem(
                    format!("[{name}]"),
                    "section is missing; see config/klachtd.example.toml",
                );
                return None;
            }
            None => toml::Value::Table(toml::Table::new()),
        };
        match value.try_into::<T>() {
            Ok(v) => Some(v),
            Err(e) => {
                let text = e.to_string();
                let mut lines = text.lines().filter(|l| !l.trim().is_empty());
                let what = lines.next().unwrap_or("invalid value").to_string();
                let key = lines
                    .find_map(|l| l.trim().strip_prefix("in `"))
                    .map(|k| format!("{name}.{}", k.trim_end_matches('`')))
                    .unwrap_or_else(|| format!("[{name}]"));
                let hint = if what.contains("expected u16") || what.contains("expected u64") {
                    " (write a number without quotes)"
                } else if what.contains("unknown field") {
                    " (check the spelling against config/klachtd.example.toml)"
                } else if what.contains("missing field") {
                    " (add it to the section)"
                } else {
                    ""
                };
                self.problem(key, format!("{what}{hint}"));
                None
            }
        }
    }

    fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    fn readable_file(&mut self, key: &str, p: &Path) -> Option<PathBuf> {
        let full = self.path(p);
        match std::fs::metadata(&full) {
            Ok(m) if m.is_file() => match std::fs::File::open(&full) {
                Ok(_) => Some(full),
                Err(e) => {
                    self.problem(
                        key,
                        format!(
                            "cannot read {}: {e}; fix its permissions for the klachtd user",
                            full.display()
                        ),
                    );
                    None
                }
            },
            Ok(_) => {
                self.problem(key, format!("{} is not a file", full.display()));
                None
            }
            Err(e) => {
                self.problem(
                    key,
                    format!(
                        "cannot read {}: {e}; create it or fix the path",
                        full.display()
                    ),
                );
                None
            }
        }
    }

    /// Resolves a password from `password_file` or `password_env`.
    fn secret(
        &mut self,
        section: &str,
        file: Option<&Path>,
        env: Option<&str>,
        inline: bool,
        required: bool,
    ) -> Option<Secret> {
        if inline {
            self.problem(
                format!("{section}.password"),
                "passwords are not read from the config file; put it in a file named by password_file (mode 0600) or an environment variable named by password_env",
            );
            return None;
        }
        if let Some(file) = file {
            let full = self.readable_file(&format!("{section}.password_file"), file)?;
            return match std::fs::read_to_string(&full) {
                Ok(s) => {
                    let s = s.trim_end_matches(['\r', '\n']).to_string();
                    if s.is_empty() {
                        self.problem(
                            format!("{section}.password_file"),
                            format!("{} is empty; write the password into it", full.display()),
                        );
                        None
                    } else {
                        Some(Secret::new(s))
                    }
                }
                Err(e) => {
                    self.problem(
                        format!("{section}.password_file"),
                        format!("cannot read {}: {e}", full.display()),
                    );
                    None
                }
            };
        }
        if let Some(var) = env {
            return match std::env::var(var) {
                Ok(v) if !v.is_empty() => Some(Secret::new(v)),
                _ => {
                    self.problem(
                        format!("{section}.password_env"),
                        format!("environment variable {var} is not set; export it before starting klachtd"),
                    );
                    None
                }
            };
        }
        if required {
            self.problem(
                format!("{section}.password_file"),
                "no password given; set password_file (a file holding the password) or password_env (an environment variable)",
            );
        }
        None
    }
}

impl Config {
    /// Finds the config path: the explicit one, else `KLACHTD_CONFIG`, else
    /// `/etc/klachtd/klachtd.toml`.
    pub fn locate(explicit: Option<&Path>) -> PathBuf {
        if let Some(p) = explicit {
            return p.to_path_buf();
        }
        if let Some(p) = std::env::var_os(CONFIG_ENV) {
            return PathBuf::from(p);
        }
        PathBuf::from("/etc/klachtd/klachtd.toml")
    }

    /// Loads and validates a config file, reporting every problem at once.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base = path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        Self::from_str_at(&text, path, &base)
    }

    /// Validates config text; relative paths resolve against `base`.
    pub fn from_str_at(text: &str, path: &Path, base: &Path) -> Result<Config, ConfigError> {
        let invalid = |problems| ConfigError::Invalid {
            path: path.to_path_buf(),
            problems,
        };
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            invalid(vec![Problem {
                key: "syntax".into(),
                message: e.to_string().trim().replace('\n', "\n    "),
            }])
        })?;
        let mut c = Checker {
            problems: Vec::new(),
            base: base.to_path_buf(),
        };
        for key in table.keys() {
            if !SECTIONS.contains(&key.as_str()) {
                c.problem(
                    format!("[{key}]"),
                    format!(
                        "unknown section; known sections are {}",
                        SECTIONS.join(", ")
                    ),
                );
            }
        }
        let organization: Option<Organization> = c.section(&table, "organization", true);
        let raw_mailbox: Option<RawMailbox> = c.section(&table, "mailbox", true);
        let raw_smtp: Option<RawSmtp> = c.section(&table, "smtp", true);
        let store: Option<Store> = c.section(&table, "store", true);
        let policy: Option<PolicyRef> = c.section(&table, "policy", false);
        let staff: Option<Staff> = c.section(&table, "staff", false);
        let outbox: Option<Outbox> = c.section(&table, "outbox", false);
        let limits: Option<Limits> = c.section(&table, "limits", false);
        #[derive(Deserialize, Default)]
        #[serde(deny_unknown_fields)]
        struct Templates {
            dir: Option<PathBuf>,
        }
        let templates: Option<Templates> = c.section(&table, "templates", false);
        #[derive(Deserialize, Default)]
        #[serde(deny_unknown_fields)]
        struct ClassifierSection {
            rules: Option<PathBuf>,
        }
        let classifier: Option<ClassifierSection> = c.section(&table, "classifier", false);
        let rules_file = classifier.and_then(|s| s.rules).map(|p| c.path(&p));
        let calendar_section: Option<CalendarSection> = c.section(&table, "calendar", false);
        let tz = match organization
            .as_ref()
            .map(|o| o.timezone.parse::<chrono_tz::Tz>())
        {
            Some(Ok(tz)) => tz,
            Some(Err(_)) => {
                c.problem(
                    "organization.timezone",
                    format!(
                        "'{}' is not an IANA time zone; use e.g. \"Europe/Amsterdam\"",
                        organization
                            .as_ref()
                            .map(|o| o.timezone.as_str())
                            .unwrap_or("")
                    ),
                );
                chrono_tz::Europe::Amsterdam
            }
            None => chrono_tz::Europe::Amsterdam,
        };
        let calendar = calendar_section.map(|s| crate::deadline::Calendar {
            tz,
            bevrijdingsdag: s.bevrijdingsdag,
            goede_vrijdag: s.goede_vrijdag,
            closed: s.closed.into_iter().collect(),
        });
        if let Some(p) = &rules_file {
            if let Err(errs) = crate::classify::Classifier::load(p) {
                for e in errs {
                    c.problem(format!("classifier.rules ({})", p.display()), e.to_string());
                }
            }
        }

        if let Some(o) = &organization {
            if !crate::address::is_valid(&o.complaints_address) {
                c.problem(
                    "organization.complaints_address",
                    format!(
                        "'{}' is not a mail address like klachten@org.nl",
                        o.complaints_address
                    ),
                );
            }
            if !["nl", "en"].contains(&o.language.as_str()) {
                c.problem("organization.language", "use \"nl\" or \"en\"");
            }
        }

        let mailbox = raw_mailbox.and_then(|m| {
            let ca_file = m
                .ca_file
                .as_deref()
                .and_then(|p| c.readable_file("mailbox.ca_file", p));
            if m.ca_file.is_some() && ca_file.is_none() {
                return None;
            }
            if m.idle_renew_secs == 0 || m.idle_renew_secs > 29 * 60 {
                c.problem(
                    "mailbox.idle_renew_secs",
                    "must be between 1 and 1740 (IDLE must be renewed within 29 minutes)",
                );
            }
            if m.timeout_secs == 0 {
                c.problem("mailbox.timeout_secs", "must be at least 1");
            }
            let password = c.secret(
                "mailbox",
                m.password_file.as_deref(),
                m.password_env.as_deref(),
                m.password.is_some(),
                true,
            )?;
            Some(Mailbox {
                host: m.host,
                port: m.port,
                tls: m.tls,
                ca_file,
                username: m.username,
                password,
                folder: m.folder,
                processed_folder: m.processed_folder,
                idle: m.idle,
                poll_interval: Duration::from_secs(m.poll_interval_secs.max(1)),
                timeout: Duration::from_secs(m.timeout_secs.max(1)),
                idle_renew: Duration::from_secs(m.idle_renew_secs.clamp(1, 29 * 60)),
            })
        });

        let smtp = raw_smtp.and_then(|s| {
            let ca_file = s
                .ca_file
                .as_deref()
                .and_then(|p| c.readable_file("smtp.ca_file", p));
            if s.ca_file.is_some() && ca_file.is_none() {
                return None;
            }
            if crate::address::parse_mailbox(&s.from).is_none() {
                c.problem(
                    "smtp.from",
                    format!(
                        "'{}' is not a mailbox like \"Klachtenservice <klachten@org.nl>\"",
                        s.from
                    ),
                );
            }
            let password = c.secret(
                "smtp",
                s.password_file.as_deref(),
                s.password_env.as_deref(),
                s.password.is_some(),
                s.username.is_some(),
            );
            let credentials = match (s.username, password) {
                (Some(u), Some(p)) => Some((u, p)),
                (Some(_), None) => return None,
                (None, Some(_)) => {
                    c.problem("smtp.username", "a password is given but no username");
                    None
                }
                (None, None) => None,
            };
            Some(Smtp {
                host: s.host,
                port: s.port,
                tls: s.tls,
                ca_file,
                credentials,
                from: s.from,
                timeout: Duration::from_secs(s.timeout_secs.max(1)),
            })
        });

        if let Some(staff) = &staff {
            if !staff.coordinator.is_empty() && !crate::address::is_valid(&staff.coordinator) {
                c.problem("staff.coordinator", "not a mail address");
            }
            for a in staff
                .management
                .iter()
                .chain(&staff.addresses)
                .chain(staff.directory.values())
            {
                if !crate::address::is_valid(a) {
                    c.problem("staff", format!("'{a}' is not a mail address"));
                }
            }
        }
        if let Some(p) = &policy {
            if p.preset.is_some() && p.file.is_some() {
                c.problem("policy", "set either preset or file, not both");
            }
        }

        let templates_dir = c.path(
            templates
                .and_then(|t| t.dir)
                .as_deref()
                .unwrap_or(Path::new("templates")),
        );
        let templates_dir = if templates_dir.is_dir() {
            templates_dir
        } else {
            // Installed layout: next to the binary's share dir, else as given.
            let shared = PathBuf::from("/usr/share/klachtd/templates");
            if shared.is_dir() {
                shared
            } else {
                templates_dir
            }
        };

        let language = organization
            .as_ref()
            .map(|o| o.language.clone())
            .unwrap_or_else(default_language);
        c.problems
            .extend(crate::letter::Letters::check_dir(&templates_dir, &language));

        let store = store.map(|s| Store {
            path: c.path(&s.path),
        });

        match (organization, mailbox, smtp, store) {
            (Some(organization), Some(mailbox), Some(smtp), Some(store))
                if c.problems.is_empty() =>
            {
                Ok(Config {
                    path: path.to_path_buf(),
                    organization,
                    mailbox,
                    smtp,
                    store,
                    policy: policy.unwrap_or_default(),
                    staff: staff.unwrap_or_default(),
                    outbox: outbox.unwrap_or_default(),
                    limits: limits.unwrap_or_default(),
                    templates_dir,
                    rules_file,
                    calendar: calendar.unwrap_or_default(),
                })
            }
            _ => Err(invalid(c.problems)),
        }
    }

    /// Every problem of this config beyond its syntax: templates that do not
    /// exist or fail to render. (Syntax and value problems fail `load`.)
    pub fn check_templates(&self) -> Vec<Problem> {
        crate::letter::Letters::check_dir(&self.templates_dir, &self.organization.language)
    }

    /// The classifier: the admin's rules file, else the built-in rules.
    pub fn classifier(
        &self,
    ) -> Result<crate::classify::Classifier, Vec<crate::classify::RuleError>> {
        match &self.rules_file {
            Some(p) => crate::classify::Classifier::load(p),
            None => Ok(crate::classify::Classifier::builtin()),
        }
    }

    /// The staff member a text names: a directory name (whole words, case
    /// and accents ignored) or a staff address written out.
    pub fn staff_named_in(&self, text: &str) -> Option<String> {
        let hay = crate::classify::normalize(text);
        for (name, addr) in &self.staff.directory {
            let n = crate::classify::normalize(name);
            if n.trim().len() >= 3 && hay.contains(&n) {
                return Some(addr.clone());
            }
        }
        let lower = text.to_ascii_lowercase();
        self.staff
            .addresses
            .iter()
            .find(|a| lower.contains(&a.to_ascii_lowercase()))
            .cloned()
    }

    /// Whether an address belongs to staff (listed address, domain, coordinator
    /// or management).
    pub fn is_staff(&self, address: &str) -> bool {
        let a = address.to_ascii_lowercase();
        let s = &self.staff;
        a == s.coordinator.to_ascii_lowercase()
            || s.management.iter().any(|m| m.eq_ignore_ascii_case(&a))
            || s.addresses.iter().any(|m| m.eq_ignore_ascii_case(&a))
            || a.rsplit_once('@')
                .is_some_and(|(_, d)| s.domains.iter().any(|x| x.eq_ignore_ascii_case(d)))
    }
}
