//! `klachtd check`: the config, and the templates, policy and rules it
//! names, checked together; every problem with its key and a fix.

use crate::cli::env::Env;
use anyhow::Result;
use klachtd::config::{Config, ConfigError};
use klachtd::daemon::rules::{file_problems, Rules};
use klachtd::problem::Problems;

/// Exit 0 when everything is valid (and, with `connect`, both servers
/// answer as configured), 2 with every problem otherwise.
pub fn check(env: &Env, connect: bool) -> Result<i32> {
    let path = env.config_path();
    let problems = match Config::load(&path) {
        Ok(config) => match Rules::load(&config) {
            Ok(rules) => {
                println!(
                    "{}: configuration, policy and templates are valid",
                    path.display()
                );
                let own = rules.letters.overridden();
                if own.is_empty() {
                    println!("templates: the built-in ones");
                } else {
                    println!(
                        "templates: built in, overridden by {}: {}",
                        rules.letters.dir().display(),
                        own.join(", ")
                    );
                }
                for note in &config.renamed {
                    println!("note: {note}");
                }
                if let Some(old) = klachtd::store::kept_after_conversion(&config.store.path) {
                    println!(
                        "note: {} is the store as an earlier klachtd wrote it, kept when it \
                         was converted; once `klachtd cases list` shows your cases, remove it \
                         (rm -r {}) to free its space",
                        old.display(),
                        old.display()
                    );
                }
                if connect {
                    let problems = servers(&config)?;
                    if !problems.is_empty() {
                        for p in &problems {
                            eprintln!("  - {p}");
                        }
                        return Ok(2);
                    }
                }
                return Ok(0);
            }
            Err(problems) => problems,
        },
        Err(ConfigError::Invalid {
            problems,
            files: Some(files),
            ..
        }) => {
            let mut all = problems;
            all.extend(file_problems(&files));
            all
        }
        Err(e) => {
            eprintln!("{e}");
            return Ok(2);
        }
    };
    report(&path, &problems);
    Ok(2)
}

/// Logs in to IMAP and examines both folders, and opens an SMTP session;
/// what fails, with the keys to look at and the server's words.
fn servers(config: &Config) -> Result<Vec<String>> {
    use klachtd::intake::imap::WatchError;
    let rt = crate::cli::env::runtime()?;
    let _guard = rt.enter();
    let mut problems = Vec::new();
    let m = &config.mailbox;
    let at = format!("{}:{}", m.host, m.port);
    rt.block_on(async {
        let watcher = klachtd::intake::watcher::Watcher::new(m);
        let session = match watcher {
            Ok(w) => w.connect().await,
            Err(e) => Err(e),
        };
        match session {
            Ok(mut s) => {
                for (key, folder) in [
                    ("mailbox.folder", &m.folder),
                    ("mailbox.processed_folder", &m.processed_folder),
                ] {
                    match s.examine(folder).await {
                        Ok(()) => println!("IMAP {at}: {key} '{folder}' is there"),
                        Err(e) => problems.push(format!(
                            "{key}: '{folder}' cannot be opened on {at}: {e}; create the folder or fix the key"
                        )),
                    }
                }
                s.logout().await;
            }
            Err(e @ WatchError::Login { .. }) => problems.push(format!("mailbox.username / password: {e}")),
            Err(e @ WatchError::Tls(_)) => problems.push(format!(
                "mailbox.tls / mailbox.ca_file: {e}; check that the server's certificate is signed by the CA in ca_file"
            )),
            Err(e) => problems.push(format!(
                "mailbox.host / mailbox.port / mailbox.tls: {e}; check the host, the port and the TLS mode"
            )),
        }
        let s = &config.smtp;
        let at = format!("{}:{}", s.host, s.port);
        match klachtd::letters::smtp::Transport::new(s, 1, std::time::Duration::from_secs(1)) {
            Ok(t) => match t.test_connection().await {
                Ok(()) => println!("SMTP {at}: session opened (EHLO, TLS and login as configured), nothing sent"),
                Err(e) => problems.push(format!(
                    "smtp.host / smtp.port / smtp.tls / smtp password: cannot open an SMTP session on {at}: {e}"
                )),
            },
            Err(e) => problems.push(format!("smtp: {e}")),
        }
    });
    Ok(problems)
}

fn report(path: &std::path::Path, problems: &Problems) {
    eprintln!("{} problem(s) in {}:", problems.len(), path.display());
    eprintln!("{problems}");
}
