//! `klachtd report` (the figures of a period, as Markdown, HTML, CSV or
//! JSON) and `klachtd agenda` (the weekly agenda as of now).

use crate::cli::env::Env;
use anyhow::{bail, Context as _, Result};
use chrono::{DateTime, NaiveDate, Utc};
use klachtd::cases::policy::Policy;
use klachtd::reports::{self, Format, Scope};
use klachtd::store::Store;
use std::path::Path;

/// Runs `f` with the store, the report scope of the config and the time now.
fn with_report_scope<T>(
    env: &Env,
    f: impl FnOnce(&Store, &Scope<'_>, DateTime<Utc>) -> Result<T>,
) -> Result<T> {
    let (config, store) = env.store()?;
    let policy = Policy::from_config(&config)?;
    let known = config.staff.names();
    let scope = Scope {
        organisation: &config.organisation.name,
        policy: &policy,
        calendar: &config.calendar,
        known: &known,
    };
    f(&store, &scope, env.clock.now())
}

/// The report of `from..=to`, to standard output or an owner-only file.
pub fn report(
    env: &Env,
    (from, to): (NaiveDate, NaiveDate),
    format: Format,
    anonymise: bool,
    output: Option<&Path>,
) -> Result<i32> {
    if to < from {
        bail!("--to {to} is before --from {from}");
    }
    let text = with_report_scope(env, |store, scope, now| {
        let report =
            reports::make(store, scope, from, to, now, anonymise).context("reading the store")?;
        Ok(report.render(format))
    })?;
    match output {
        Some(path) => {
            // A report that is not anonymised holds personal data.
            use std::io::Write as _;
            let mut f = env.output_file(path, false)?;
            f.write_all(text.as_bytes())
                .and_then(|_| f.flush())
                .with_context(|| format!("writing {}", path.display()))?
        }
        None => out!(env, "{text}"),
    }
    Ok(0)
}

/// The weekly agenda as of now: the last 7 days' cases and every open one.
pub fn agenda(env: &Env, anonymise: bool) -> Result<i32> {
    let text = with_report_scope(env, |store, scope, now| {
        let agenda = reports::agenda(
            store,
            scope,
            now - chrono::Duration::days(7),
            now,
            anonymise,
        )
        .context("reading the store")?;
        Ok(agenda.markdown())
    })?;
    out!(env, "{text}");
    Ok(0)
}
