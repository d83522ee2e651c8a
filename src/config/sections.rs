//! The sections of `klachtd.toml` as written, and each section's own
//! validation: a section reads into its type, then checks what serde
//! cannot (addresses, ranges, files, secrets, the time zone) and yields the
//! validated part of [`crate::config::Config`].

use crate::config::checker::{Checker, SecretSource};
use crate::config::secret::Secret;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

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

/// `[organisation]` (also read under its old name `[organization]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
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
pub(crate) struct RawMailbox {
    pub(crate) host: String,
    #[serde(default = "default_imap_port")]
    pub(crate) port: u16,
    #[serde(default = "default_tls")]
    pub(crate) tls: TlsMode,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) username: String,
    pub(crate) password_file: Option<PathBuf>,
    pub(crate) password_env: Option<String>,
    pub(crate) password: Option<toml::Value>,
    #[serde(default = "default_folder")]
    pub(crate) folder: String,
    #[serde(default = "default_processed")]
    pub(crate) processed_folder: String,
    #[serde(default = "default_true")]
    pub(crate) idle: bool,
    #[serde(default = "default_poll")]
    pub(crate) poll_interval_secs: u64,
    #[serde(default = "default_io_timeout")]
    pub(crate) timeout_secs: u64,
    #[serde(default = "default_idle_renew")]
    pub(crate) idle_renew_secs: u64,
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
/// Short: a notification a server never sent (or that came during a
/// batch) costs at most this long.
fn default_idle_renew() -> u64 {
    2 * 60
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
pub(crate) struct RawSmtp {
    pub(crate) host: String,
    #[serde(default = "default_smtp_port")]
    pub(crate) port: u16,
    #[serde(default = "default_smtp_tls")]
    pub(crate) tls: TlsMode,
    pub(crate) ca_file: Option<PathBuf>,
    pub(crate) username: Option<String>,
    pub(crate) password_file: Option<PathBuf>,
    pub(crate) password_env: Option<String>,
    pub(crate) password: Option<toml::Value>,
    pub(crate) from: String,
    #[serde(default = "default_io_timeout")]
    pub(crate) timeout_secs: u64,
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
    /// How long the daemon retries (and reopens) a store that cannot be
    /// written (a full disk) before it exits non-zero, so the service
    /// manager sees it. Mail stays on the server meanwhile.
    #[serde(default = "default_stalled_exit")]
    pub stalled_exit_secs: u64,
}

fn default_stalled_exit() -> u64 {
    600
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
    /// Takes the coordinator's place while the coordinator is away
    /// (`#afwezig tot …`): new cases and escalations go there.
    #[serde(default)]
    pub deputy: String,
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
    /// Addresses of the roles a policy names (`kwaliteitsmanager =
    /// "kwaliteit@org.nl"`, or a list: `regiomanagers = ["noord@…", "zuid@…"]`).
    #[serde(default)]
    pub roles: std::collections::BTreeMap<String, RoleAddresses>,
}

/// A role's addresses: one, or a list (`[staff.roles]`). Mail to the role
/// (reports, notices) goes to all of them; a case handed to the role goes
/// to the first.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum RoleAddresses {
    /// `rol = "naam@org.nl"`
    One(String),
    /// `rol = ["a@org.nl", "b@org.nl"]`
    Many(Vec<String>),
}

impl RoleAddresses {
    /// Every address, in the order written.
    pub fn all(&self) -> &[String] {
        match self {
            RoleAddresses::One(a) => std::slice::from_ref(a),
            RoleAddresses::Many(v) => v,
        }
    }

    /// The first address: who handles a case given to the role.
    pub fn first(&self) -> Option<&String> {
        self.all().first()
    }
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
    /// After SIGTERM, how long sending may go on before the daemon exits
    /// (keep it below the unit's `TimeoutStopSec`); what is left goes out
    /// after the restart.
    #[serde(default = "default_drain")]
    pub drain_secs: u64,
}

fn default_attempts() -> u32 {
    8
}
fn default_drain() -> u64 {
    10
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
            drain_secs: default_drain(),
        }
    }
}

/// `[metrics]`: the Prometheus metrics and health endpoint (off unless
/// `listen` is set).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// Address to serve `/metrics` and `/health` on, e.g. `127.0.0.1:9464`.
    #[serde(default)]
    pub listen: Option<String>,
    /// `/health` turns 503 when IMAP was not reached for this long.
    #[serde(default = "default_health_imap")]
    pub imap_within_secs: u64,
}

fn default_health_imap() -> u64 {
    300
}

impl Metrics {
    /// The listen address, checked.
    pub(crate) fn check(&self, c: &mut Checker) {
        if let Some(l) = &self.listen {
            if l.parse::<std::net::SocketAddr>().is_err() {
                c.problem(
                    "metrics.listen",
                    format!("{l:?} is not an address with a port; write e.g. \"127.0.0.1:9464\""),
                );
            }
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

/// `[calendar]`: which days are not working days beyond weekends and the
/// recognised holidays.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CalendarSection {
    #[serde(default = "default_true")]
    pub(crate) bevrijdingsdag: bool,
    #[serde(default = "default_true")]
    pub(crate) goede_vrijdag: bool,
    #[serde(default)]
    pub(crate) closed: Vec<chrono::NaiveDate>,
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

/// `[templates]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct Templates {
    /// The folder of the admin's templates.
    pub(crate) dir: Option<PathBuf>,
}

/// `[classifier]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ClassifierSection {
    /// The admin's rules file.
    pub(crate) rules: Option<PathBuf>,
    /// What happens with a doubtful message: `klacht` or `ask`.
    pub(crate) doubt: Option<String>,
    /// The klacht scores that are doubtful: `[from, below]`.
    pub(crate) doubt_band: Option<[f32; 2]>,
}

/// What happens with a doubtful message (`[classifier] doubt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DoubtMode {
    /// A doubtful message is a complaint.
    #[default]
    Klacht,
    /// A doubtful message is a complaint, and the coordinator confirms or
    /// corrects it.
    Ask,
}

impl DoubtMode {
    /// Reads `klacht` or `ask`.
    pub fn parse(s: &str) -> Option<DoubtMode> {
        match s {
            "klacht" => Some(DoubtMode::Klacht),
            "ask" | "vragen" => Some(DoubtMode::Ask),
            _ => None,
        }
    }
}

/// The doubt policy: klacht scores from `band.0` up to (not including)
/// `band.1` are doubtful (`[classifier] doubt_band`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Doubt {
    /// What happens with doubt.
    pub mode: DoubtMode,
    /// The doubtful klacht scores.
    pub band: (f32, f32),
}

impl Default for Doubt {
    fn default() -> Doubt {
        Doubt {
            mode: DoubtMode::Klacht,
            band: (1.0, 2.5),
        }
    }
}

impl ClassifierSection {
    /// The doubt policy (the default where unset), checked.
    pub(crate) fn doubt(&self, c: &mut Checker) -> Doubt {
        let mut doubt = Doubt::default();
        if let Some(m) = &self.doubt {
            match DoubtMode::parse(m) {
                Some(mode) => doubt.mode = mode,
                None => c.problem(
                    "classifier.doubt",
                    format!("'{m}': use \"klacht\" (a doubtful message is a complaint) or \"ask\" (a complaint, and the coordinator confirms or corrects it)"),
                ),
            }
        }
        if let Some([from, below]) = self.doubt_band {
            if from.is_finite() && below.is_finite() && 0.0 <= from && from < below {
                doubt.band = (from, below);
            } else {
                c.problem(
                    "classifier.doubt_band",
                    format!("[{from}, {below}]: give two klacht scores, the lower first, e.g. [1.0, 2.5]"),
                );
            }
        }
        doubt
    }
}

impl Organisation {
    /// Checks the address and language; returns the time zone (Amsterdam
    /// when it is not a zone, after saying so).
    pub(crate) fn check(&self, c: &mut Checker, key: &str) -> chrono_tz::Tz {
        if !crate::address::is_valid(&self.complaints_address) {
            c.problem(
                format!("{key}.complaints_address"),
                format!(
                    "'{}' is not a mail address like klachten@org.nl",
                    self.complaints_address
                ),
            );
        }
        if !["nl", "en"].contains(&self.language.as_str()) {
            c.problem(format!("{key}.language"), "use \"nl\" or \"en\"");
        }
        self.timezone.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
            c.problem(
                format!("{key}.timezone"),
                format!(
                    "'{}' is not an IANA time zone; use e.g. \"Europe/Amsterdam\"",
                    self.timezone
                ),
            );
            chrono_tz::Europe::Amsterdam
        })
    }
}

impl RawMailbox {
    /// The validated `[mailbox]`.
    pub(crate) fn check(self, c: &mut Checker) -> Option<Mailbox> {
        let ca_file = self
            .ca_file
            .as_deref()
            .and_then(|p| c.readable_file("mailbox.ca_file", p));
        if self.ca_file.is_some() && ca_file.is_none() {
            return None;
        }
        if self.idle_renew_secs == 0 || self.idle_renew_secs > 29 * 60 {
            c.problem(
                "mailbox.idle_renew_secs",
                "must be between 1 and 1740 (IDLE must be renewed within 29 minutes)",
            );
        }
        if self.timeout_secs == 0 {
            c.problem("mailbox.timeout_secs", "must be at least 1");
        }
        let password = c.secret(
            "mailbox",
            SecretSource {
                file: self.password_file.as_deref(),
                env: self.password_env.as_deref(),
                inline: self.password.is_some(),
                required: true,
            },
        )?;
        Some(Mailbox {
            host: self.host,
            port: self.port,
            tls: self.tls,
            ca_file,
            username: self.username,
            password,
            folder: self.folder,
            processed_folder: self.processed_folder,
            idle: self.idle,
            poll_interval: Duration::from_secs(self.poll_interval_secs.max(1)),
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
            idle_renew: Duration::from_secs(self.idle_renew_secs.clamp(1, 29 * 60)),
        })
    }
}

impl RawSmtp {
    /// The validated `[smtp]`.
    pub(crate) fn check(self, c: &mut Checker) -> Option<Smtp> {
        let ca_file = self
            .ca_file
            .as_deref()
            .and_then(|p| c.readable_file("smtp.ca_file", p));
        if self.ca_file.is_some() && ca_file.is_none() {
            return None;
        }
        if crate::address::parse_mailbox(&self.from).is_none() {
            c.problem(
                "smtp.from",
                format!(
                    "'{}' is not a mailbox like \"Klachtenservice <klachten@org.nl>\"",
                    self.from
                ),
            );
        }
        let password = c.secret(
            "smtp",
            SecretSource {
                file: self.password_file.as_deref(),
                env: self.password_env.as_deref(),
                inline: self.password.is_some(),
                required: self.username.is_some(),
            },
        );
        let credentials = match (self.username, password) {
            (Some(u), Some(p)) => Some((u, p)),
            (Some(_), None) => return None,
            (None, Some(_)) => {
                c.problem("smtp.username", "a password is given but no username");
                None
            }
            (None, None) => None,
        };
        Some(Smtp {
            host: self.host,
            port: self.port,
            tls: self.tls,
            ca_file,
            credentials,
            from: self.from,
            timeout: Duration::from_secs(self.timeout_secs.max(1)),
        })
    }
}

impl Staff {
    /// Checks that every address is one.
    pub(crate) fn check(&self, c: &mut Checker) {
        if !self.coordinator.is_empty() && !crate::address::is_valid(&self.coordinator) {
            c.problem("staff.coordinator", "not a mail address");
        }
        if !self.deputy.is_empty() && !crate::address::is_valid(&self.deputy) {
            c.problem("staff.deputy", "not a mail address");
        }
        for a in self
            .management
            .iter()
            .chain(&self.addresses)
            .chain(self.directory.values())
            .chain(self.roles.values().flat_map(RoleAddresses::all))
        {
            if !crate::address::is_valid(a) {
                c.problem("staff", format!("'{a}' is not a mail address"));
            }
        }
    }

    /// Names and addresses of the staff, to keep out of anonymised output.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.directory.keys().cloned().collect();
        v.extend(self.directory.values().cloned());
        v.extend(self.addresses.iter().cloned());
        v.extend(self.management.iter().cloned());
        v.extend(self.roles.values().flat_map(RoleAddresses::all).cloned());
        for a in [&self.coordinator, &self.deputy] {
            if !a.is_empty() {
                v.push(a.clone());
            }
        }
        v
    }
}

impl PolicyRef {
    /// Checks that preset and file are not both set.
    pub(crate) fn check(&self, c: &mut Checker) {
        if self.preset.is_some() && self.file.is_some() {
            c.problem("policy", "set either preset or file, not both");
        }
    }
}

impl CalendarSection {
    /// The working-day calendar in zone `tz`.
    pub(crate) fn calendar(self, tz: chrono_tz::Tz) -> crate::deadline::Calendar {
        crate::deadline::Calendar {
            tz,
            bevrijdingsdag: self.bevrijdingsdag,
            goede_vrijdag: self.goede_vrijdag,
            closed: self.closed.into_iter().collect(),
        }
    }
}
