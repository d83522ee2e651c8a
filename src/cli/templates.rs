//! `klachtd templates list` (every letter template, where it comes from,
//! whether it is broken) and `klachtd templates render` (a letter as it
//! would go out, with the config's organisation, policy and terms, for a
//! realistic sample case or a real one). A broken template elsewhere does
//! not stop the one asked for.

use crate::cli::args::TemplatesCommand;
use crate::cli::env::Env;
use anyhow::{Context as _, Result};
use klachtd::cases::id::CaseId;
use klachtd::cases::lookup;
use klachtd::cases::policy::Policy;
use klachtd::cases::token::Signer;
use klachtd::config::Config;
use klachtd::intake::classify::Classifier;
use klachtd::letters::outbox::Sender;
use klachtd::letters::templates::{sample_context, Letters};
use klachtd::procedure::context::Context;
use klachtd::procedure::vars;

/// Runs `templates list` or `templates render`.
pub fn templates(env: &Env, command: &TemplatesCommand) -> Result<i32> {
    let config = &env.config()?;
    let letters = Letters::load(&config.templates_dir)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("reading the templates")?;
    match command {
        TemplatesCommand::List => {
            outln!(
                env,
                "{:<5} {:<28} {:<11} SUBJECT OR PROBLEM",
                "LANG",
                "NAME",
                "ORIGIN"
            );
            for full in letters.names() {
                let (lang, name) = full.split_once('/').unwrap_or(("", full));
                let what = match letters.broken(full) {
                    Some(e) => format!("BROKEN: {e}"),
                    None => letters
                        .render(lang, name, &sample_context())
                        .map(|r| r.subject)
                        .unwrap_or_else(|e| format!("BROKEN: {e}")),
                };
                outln!(
                    env,
                    "{lang:<5} {name:<28} {:<11} {what}",
                    letters.origin(full)
                );
            }
            outln!(
                env,
                "\nbuilt in to klachtd {}; the folder {} overrides file by file",
                env!("CARGO_PKG_VERSION"),
                config.templates_dir.display()
            );
            Ok(0)
        }
        TemplatesCommand::Render {
            name,
            case: case_id,
            lang,
        } => {
            let policy = Policy::from_config(config)?;
            let classifier = Classifier::builtin();
            let sender = Sender {
                from: config.smtp.from.clone(),
                complaints_address: config.organisation.complaints_address.clone(),
                witness: false,
            };
            let store = match case_id {
                Some(_) => Some(env.store()?.1),
                None => None,
            };
            let render = |signer: &Signer| -> Result<(serde_json::Value, String)> {
                let ctx = Context {
                    config,
                    letters: &letters,
                    policy: &policy,
                    calendar: &config.calendar,
                    signer,
                    sender: &sender,
                    classifier: &classifier,
                    clock: env.clock.as_ref(),
                    moment: None,
                    acting_coordinator: None,
                };
                match (case_id, &store) {
                    (Some(id), Some(store)) => {
                        let id: CaseId = id.parse().map_err(anyhow::Error::msg)?;
                        let c = lookup::load(store, id)?.with_context(|| {
                            format!("no case {id}; `klachtd cases list` shows the cases there are")
                        })?;
                        Ok((vars::case(&ctx, &c), c.language.clone()))
                    }
                    _ => Ok((
                        sample(&ctx, config, &policy),
                        config.organisation.language.clone(),
                    )),
                }
            };
            let (vars, case_lang) = match &store {
                Some(store) => render(&Signer::load_or_create(store)?)?,
                // A sample needs no real key: nothing it renders is sent.
                None => render(&Signer::from_bytes(&[0u8; 32]))?,
            };
            let lang = lang.clone().unwrap_or(case_lang);
            let r = letters.render(&lang, name, &vars)?;
            outln!(env, "Subject: {}\n\n{}", r.subject, r.body);
            Ok(0)
        }
    }
}

/// The sample case with the config's organisation, policy (name,
/// handling text, appeal) and terms, the decision due counted from now.
fn sample(ctx: &Context<'_>, config: &Config, policy: &Policy) -> serde_json::Value {
    let mut v = sample_context();
    let base = vars::base(ctx);
    v["org"] = base["org"].clone();
    v["policy"] = base["policy"].clone();
    let now = ctx.clock.now();
    let cal = &config.calendar;
    v["case"]["received"] = serde_json::json!(cal.local_date(now).to_string());
    v["term"]["acknowledge"] = serde_json::json!(policy.terms.acknowledge.to_string());
    v["term"]["decide"] = serde_json::json!(policy.terms.decide.to_string());
    v["term"]["decide_by"] = serde_json::json!(cal
        .local_date(cal.due(now, policy.terms.decide))
        .to_string());
    v
}
