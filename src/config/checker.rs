//! The checker every section is validated with: it reads a section into its
//! type (naming the key of any mistake and a fix), resolves relative paths
//! against the config's folder, checks files and resolves secrets, and
//! collects every problem instead of stopping at the first.

use crate::config::secret::Secret;
use crate::problem::Problems;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Collects problems while a config is validated.
pub(crate) struct Checker {
    pub(crate) problems: Problems,
    base: PathBuf,
}

impl Checker {
    /// A checker resolving relative paths against `base`.
    pub(crate) fn new(base: &Path) -> Checker {
        Checker {
            problems: Problems::default(),
            base: base.to_path_buf(),
        }
    }

    /// Records a problem with `key`.
    pub(crate) fn problem(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(key, message);
    }

    /// Reads section `name` of `table` into `T`; a missing optional section
    /// reads as empty.
    pub(crate) fn section<T: for<'de> Deserialize<'de>>(
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
                let (key, message) = explain(name, &e.to_string());
                self.problem(key, message);
                None
            }
        }
    }

    /// A path of the config, absolute (relative ones are relative to the
    /// config file's folder).
    pub(crate) fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base.join(p)
        }
    }

    /// The full path of a file the klachtd user must be able to read.
    pub(crate) fn readable_file(&mut self, key: &str, p: &Path) -> Option<PathBuf> {
        let full = self.path(p);
        let problem = match std::fs::metadata(&full) {
            Ok(m) if m.is_file() => match std::fs::File::open(&full) {
                Ok(_) => return Some(full),
                Err(e) => format!(
                    "cannot read {}: {e}; fix its permissions for the klachtd user",
                    full.display()
                ),
            },
            Ok(_) => format!("{} is not a file", full.display()),
            Err(e) => format!(
                "cannot read {}: {e}; create it or fix the path",
                full.display()
            ),
        };
        self.problem(key, problem);
        None
    }

    /// Resolves the password of `section` from its `password_file` or
    /// `password_env`; an inline `password` is refused.
    pub(crate) fn secret(&mut self, section: &str, source: SecretSource<'_>) -> Option<Secret> {
        if source.inline {
            self.problem(
                format!("{section}.password"),
                "passwords are not read from the config file; put it in a file named by password_file (mode 0600) or an environment variable named by password_env",
            );
            return None;
        }
        if let Some(file) = source.file {
            let key = format!("{section}.password_file");
            let full = self.readable_file(&key, file)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&full)
                    .map(|m| m.permissions().mode())
                    .unwrap_or(0);
                if mode & 0o077 != 0 {
                    self.problem(
                        key,
                        format!(
                            "{} can be read by others (mode {:o}); run `chmod 600 {}`",
                            full.display(),
                            mode & 0o777,
                            full.display()
                        ),
                    );
                    return None;
                }
            }
            return match std::fs::read_to_string(&full) {
                Ok(s) => {
                    let s = s.trim_end_matches(['\r', '\n']).to_string();
                    if s.is_empty() {
                        self.problem(
                            key,
                            format!("{} is empty; write the password into it", full.display()),
                        );
                        None
                    } else {
                        Some(Secret::new(s))
                    }
                }
                Err(e) => {
                    self.problem(key, format!("cannot read {}: {e}", full.display()));
                    None
                }
            };
        }
        if let Some(var) = source.env {
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
        if source.required {
            self.problem(
                format!("{section}.password_file"),
                "no password given; set password_file (a file holding the password) or password_env (an environment variable)",
            );
        }
        None
    }
}

/// Where a section's password comes from, as written.
pub(crate) struct SecretSource<'a> {
    /// `password_file`.
    pub(crate) file: Option<&'a Path>,
    /// `password_env`.
    pub(crate) env: Option<&'a str>,
    /// Whether an inline `password` was written (refused).
    pub(crate) inline: bool,
    /// Whether the section needs a password.
    pub(crate) required: bool,
}

/// The key and message of a serde error in section `name`, with a fix.
fn explain(name: &str, text: &str) -> (String, String) {
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
    (key, format!("{what}{hint}"))
}
