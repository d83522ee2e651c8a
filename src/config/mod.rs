//! The configuration contract: loading `klachtd.toml`, resolving secrets and
//! relative paths, and reporting every problem it finds with the key it
//! concerns and what to do about it. Config is only config: the templates,
//! rules and policy it names are loaded and checked by
//! [`crate::daemon::rules`].

mod checker;
mod secret;
pub mod sections;

pub use secret::Secret;
pub use sections::{
    Doubt, DoubtMode, Limits, Mailbox, Metrics, Organisation, Outbox, PolicyRef, Smtp, Staff,
    Store, TlsMode,
};

use crate::problem::Problems;
use checker::Checker;
use sections::{CalendarSection, ClassifierSection, RawMailbox, RawSmtp, Templates};
use std::path::{Path, PathBuf};

/// Environment variable that may name the config file.
pub const CONFIG_ENV: &str = "KLACHTD_CONFIG";

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
    #[error("{} problem(s) in {}:\n{problems}", .problems.len(), .path.display())]
    Invalid {
        /// The config file.
        path: PathBuf,
        /// Every problem found.
        problems: Problems,
        /// The files it names, so `check` can check them too (`None` when
        /// the file is not TOML at all).
        files: Option<Files>,
    },
}

/// The files of the admin's own a config names besides itself: templates
/// and classifier rules (the policy file is in [`PolicyRef`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Files {
    /// Folder of the letter templates (`<lang>/<name>.txt.j2`).
    pub templates_dir: PathBuf,
    /// The language every required letter must exist in.
    pub language: String,
    /// The admin's rules file (`[classifier] rules`); built-in rules when absent.
    pub rules_file: Option<PathBuf>,
}

/// The whole, validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the config was loaded from.
    pub path: PathBuf,
    /// `[organisation]`.
    pub organisation: Organisation,
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
    /// `[metrics]`.
    pub metrics: Metrics,
    /// Directory of the letter templates (`templates/<lang>/<name>.txt.j2`).
    pub templates_dir: PathBuf,
    /// The admin's rules file (`[classifier] rules`); built-in rules when absent.
    pub rules_file: Option<PathBuf>,
    /// What happens with a doubtful message (`[classifier] doubt`, `doubt_band`).
    pub doubt: Doubt,
    /// The working-day calendar (organisation's time zone, `[calendar]`).
    pub calendar: crate::deadline::Calendar,
    /// Old names still accepted, each with the name to use instead
    /// (`check` prints them).
    pub renamed: Vec<String>,
}

/// The sections a config may have.
const SECTIONS: &[&str] = &[
    "organisation",
    "organization",
    "mailbox",
    "smtp",
    "store",
    "policy",
    "staff",
    "outbox",
    "limits",
    "metrics",
    "templates",
    "classifier",
    "calendar",
];

/// `[organisation]` was first spelled `[organization]`; both are read.
const ORGANISATION: &str = "organisation";
const ORGANISATION_OLD: &str = "organization";

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
        let base = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Self::from_str_at(&text, path, &base)
    }

    /// Validates config text; relative paths resolve against `base`.
    pub fn from_str_at(text: &str, path: &Path, base: &Path) -> Result<Config, ConfigError> {
        let mut c = Checker::new(base);
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            c.problem("syntax", e.to_string().trim().replace('\n', "\n    "));
            ConfigError::Invalid {
                path: path.to_path_buf(),
                problems: std::mem::take(&mut c.problems),
                files: None,
            }
        })?;
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
        let (org_key, renamed) = organisation_key(&table, &mut c);
        let organisation: Option<Organisation> = c.section(&table, org_key, true);
        let tz = organisation
            .as_ref()
            .map(|o| o.check(&mut c, org_key))
            .unwrap_or(chrono_tz::Europe::Amsterdam);
        let mailbox = c
            .section::<RawMailbox>(&table, "mailbox", true)
            .and_then(|m| m.check(&mut c));
        let smtp = c
            .section::<RawSmtp>(&table, "smtp", true)
            .and_then(|s| s.check(&mut c));
        let store = c.section::<Store>(&table, "store", true).map(|s| Store {
            path: c.path(&s.path),
            ..s
        });
        let policy: Option<PolicyRef> = c.section(&table, "policy", false);
        policy.iter().for_each(|p| p.check(&mut c));
        let staff: Option<Staff> = c.section(&table, "staff", false);
        staff.iter().for_each(|s| s.check(&mut c));
        let outbox: Option<Outbox> = c.section(&table, "outbox", false);
        let limits: Option<Limits> = c.section(&table, "limits", false);
        let metrics: Option<Metrics> = c.section(&table, "metrics", false);
        metrics.iter().for_each(|m| m.check(&mut c));
        let calendar = c
            .section::<CalendarSection>(&table, "calendar", false)
            .map(|s| s.calendar(tz));
        let classifier: Option<ClassifierSection> = c.section(&table, "classifier", false);
        let doubt = classifier
            .as_ref()
            .map(|s| s.doubt(&mut c))
            .unwrap_or_default();
        let files = files(&mut c, &table, organisation.as_ref(), classifier);
        match (organisation, mailbox, smtp, store) {
            (Some(organisation), Some(mailbox), Some(smtp), Some(store))
                if c.problems.is_empty() =>
            {
                Ok(Config {
                    path: path.to_path_buf(),
                    organisation,
                    mailbox,
                    smtp,
                    store,
                    policy: policy.unwrap_or_default(),
                    staff: staff.unwrap_or_default(),
                    outbox: outbox.unwrap_or_default(),
                    limits: limits.unwrap_or_default(),
                    metrics: metrics.unwrap_or_default(),
                    templates_dir: files.templates_dir,
                    rules_file: files.rules_file,
                    doubt,
                    calendar: calendar.unwrap_or_default(),
                    renamed,
                })
            }
            _ => Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems: c.problems,
                files: Some(files),
            }),
        }
    }

    /// The templates and rules this config names.
    pub fn files(&self) -> Files {
        Files {
            templates_dir: self.templates_dir.clone(),
            language: self.organisation.language.clone(),
            rules_file: self.rules_file.clone(),
        }
    }

    /// The staff member a text names: a directory name (whole words, case
    /// and accents ignored) or a staff address written out.
    pub fn staff_named_in(&self, text: &str) -> Option<String> {
        let hay = crate::text::normalize(text);
        for (name, addr) in &self.staff.directory {
            let n = crate::text::normalize(name);
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
            || (!s.deputy.is_empty() && a == s.deputy.to_ascii_lowercase())
            || s.management.iter().any(|m| m.eq_ignore_ascii_case(&a))
            || s.addresses.iter().any(|m| m.eq_ignore_ascii_case(&a))
            || a.rsplit_once('@')
                .is_some_and(|(_, d)| s.domains.iter().any(|x| x.eq_ignore_ascii_case(d)))
    }
}

/// Which name the organisation section has in this file, and the rename
/// note when it is the old one.
fn organisation_key(table: &toml::Table, c: &mut Checker) -> (&'static str, Vec<String>) {
    match (
        table.contains_key(ORGANISATION),
        table.contains_key(ORGANISATION_OLD),
    ) {
        (true, true) => {
            c.problem(
                "[organization]",
                "both [organisation] and its old name [organization] are present; keep [organisation] only",
            );
            (ORGANISATION, Vec::new())
        }
        (false, true) => (
            ORGANISATION_OLD,
            vec![
                "[organization] is the old name of [organisation]; rename the section (both work)"
                    .into(),
            ],
        ),
        _ => (ORGANISATION, Vec::new()),
    }
}

/// The templates folder and rules file a config names. A templates folder
/// that does not exist falls back to the installed one
/// (`/usr/share/klachtd/templates`) where that exists.
fn files(
    c: &mut Checker,
    table: &toml::Table,
    org: Option<&Organisation>,
    classifier: Option<ClassifierSection>,
) -> Files {
    let templates: Option<Templates> = c.section(table, "templates", false);
    let dir = c.path(
        templates
            .and_then(|t| t.dir)
            .as_deref()
            .unwrap_or(Path::new("templates")),
    );
    let shared = PathBuf::from("/usr/share/klachtd/templates");
    let templates_dir = if !dir.is_dir() && shared.is_dir() {
        shared
    } else {
        dir
    };
    Files {
        templates_dir,
        language: org
            .map(|o| o.language.clone())
            .unwrap_or_else(|| "nl".into()),
        rules_file: classifier.and_then(|s| s.rules).map(|p| c.path(&p)),
    }
}

#[cfg(test)]
mod tests;
