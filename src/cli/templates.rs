//! `klachtd templates render`: a letter as it would go out, for a sample
//! case or a real one.

use crate::cli::args::TemplatesCommand;
use crate::cli::env::Env;
use anyhow::{Context as _, Result};
use klachtd::cases::id::CaseId;
use klachtd::cases::lookup;
use klachtd::cases::token::Signer;
use klachtd::daemon::rules::Rules;
use klachtd::letters::outbox::Sender;
use klachtd::letters::templates::sample_context;
use klachtd::procedure::context::Context;
use klachtd::procedure::vars;

/// Runs `templates render`.
pub fn templates(env: &Env, command: &TemplatesCommand) -> Result<i32> {
    let config = &env.config()?;
    match command {
        TemplatesCommand::Render {
            name,
            case: case_id,
            lang,
        } => {
            let rules = Rules::load(config).map_err(|p| anyhow::anyhow!("{p}"))?;
            let (ctx, case_lang) = match case_id {
                Some(id) => {
                    let id: CaseId = id.parse().map_err(anyhow::Error::msg)?;
                    let (_, store) = env.store()?;
                    let c = lookup::load(&store, id)?.with_context(|| format!("no case {id}"))?;
                    let signer = Signer::load_or_create(&store)?;
                    let sender = Sender {
                        from: config.smtp.from.clone(),
                        complaints_address: config.organisation.complaints_address.clone(),
                        witness: false,
                    };
                    let ctx = Context {
                        config,
                        letters: &rules.letters,
                        policy: &rules.policy,
                        calendar: &config.calendar,
                        signer: &signer,
                        sender: &sender,
                        classifier: &rules.classifier,
                        clock: env.clock.as_ref(),
                        moment: None,
                        acting_coordinator: None,
                    };
                    (vars::case(&ctx, &c), c.language.clone())
                }
                None => (sample_context(), config.organisation.language.clone()),
            };
            let lang = lang.clone().unwrap_or(case_lang);
            let r = rules.letters.render(&lang, name, &ctx)?;
            outln!(env, "Subject: {}\n\n{}", r.subject, r.body);
            Ok(0)
        }
    }
}
