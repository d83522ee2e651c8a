//! `klachtd policy show` (a procedure as data) and `klachtd deadline`
//! (when a term ends on the working-day calendar).

use crate::cli::env::Env;
use anyhow::{bail, Context as _, Result};
use klachtd::cases::policy::Policy;
use klachtd::deadline::{Calendar, Term};

/// The configured calendar, or the default Dutch one without a config.
fn calendar(env: &Env) -> Result<Calendar> {
    if !env.has_config() {
        return Ok(Calendar::default());
    }
    Ok(env.config()?.calendar)
}

/// Prints when a term ends.
pub fn deadline(env: &Env, from: &str, term: &str, policy: Option<&str>) -> Result<i32> {
    let from = chrono::DateTime::parse_from_rfc3339(from)
        .with_context(|| {
            format!("--from '{from}' is not an RFC 3339 time like 2026-04-24T16:00:00+02:00")
        })?
        .with_timezone(&chrono::Utc);
    let term: Term = match (term.parse(), policy) {
        (Ok(t), _) => t,
        (Err(e), None) => bail!("{e}"),
        (Err(_), Some(p)) => {
            let p = Policy::preset(p)?;
            match term {
                "acknowledge" | "ontvangstbevestiging" => p.terms.acknowledge,
                "decide" | "standpunt" => p.terms.decide,
                other => bail!("policy {} has no term '{other}'; its terms are acknowledge ({}) and decide ({})", p.name, p.terms.acknowledge, p.terms.decide),
            }
        }
    };
    let cal = calendar(env)?;
    println!(
        "{}",
        cal.due(from, term).with_timezone(&cal.tz).to_rfc3339()
    );
    Ok(0)
}

/// Prints a preset, or the configured policy.
pub fn show(env: &Env, name: Option<&str>) -> Result<i32> {
    let p = match name {
        Some(n) => Policy::preset(n)?,
        None => Policy::from_config(&env.config()?)?,
    };
    println!("{} — {}", p.name, p.description);
    println!("terms:");
    println!("  acknowledge: {}", p.terms.acknowledge);
    println!(
        "  decide:      {} (met by: {})",
        p.terms.decide,
        p.terms.met_by.as_str()
    );
    if let Some(urgent) = p.terms.urgent {
        println!("  urgent:      {urgent} (decide term of an urgent complaint)");
    }
    if let Some(role) = &p.urgent_role {
        println!("urgent complaints told at once to: {role}");
    }
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
        "extensions: {}{}",
        p.max_extensions
            .map(|n| n.to_string())
            .unwrap_or_else(|| "no limit".into()),
        p.max_extension
            .map(|t| format!(", each at most {t}"))
            .unwrap_or_default()
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
