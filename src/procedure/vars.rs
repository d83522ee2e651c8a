//! The variables letters are rendered with: the organisation and policy
//! every letter has, a case's (`case.*`, `term.*`), and a message's
//! (`message.*`). The shape is that of
//! [`crate::letters::templates::sample_context`], which `check` renders
//! every template against.

use crate::cases::case::Case;
use crate::intake::classify::Verdict;
use crate::intake::inbound::{Correspondent, Inbound};
use crate::intake::journal::Entry;
use crate::procedure::context::Context;
use crate::text;
use serde_json::json;

/// The variables every letter has: the organisation and the policy.
pub fn base(ctx: &Context<'_>) -> serde_json::Value {
    let lang = &ctx.org().language;
    json!({
        "org": {
            "name": ctx.org().name,
            "complaints_address": ctx.org().complaints_address,
        },
        "policy": {
            "name": ctx.policy.name,
            "handling": ctx.policy.handling(lang),
            "appeal": ctx.policy.appeal(lang),
            "event_details": ctx.policy.event_details,
            "schadeclaim": ctx.policy.schadeclaim.as_ref().map(|c| json!({
                "who": c.who(lang),
                "limitation": c.limitation.to_string(),
            })).unwrap_or_else(|| json!({ "who": "", "limitation": "" })),
        },
    })
}

/// The variables of a letter about `c`.
pub fn case(ctx: &Context<'_>, c: &Case) -> serde_json::Value {
    let decide_by = ctx
        .calendar
        .local_date(ctx.policy.decision_due(c, ctx.calendar));
    let mut v = base(ctx);
    v["deel"] = json!(false);
    // A doubtful complaint the coordinator is asked to confirm (at opening).
    v["triage"] = json!(false);
    // The acknowledgement held back by the hourly limit on automatic mail
    // (at opening): the handler is asked to acknowledge by hand.
    v["bevestiging_tegengehouden"] = json!(false);
    // Steps a handler starts and ends by command (Glaspunt's visit), for
    // the notices.
    let staff_lang = &ctx.org().language;
    v["stappen"] = json!(ctx
        .policy
        .steps
        .iter()
        .filter_map(|s| s.command.as_ref().map(|cmd| json!({
            "command": cmd,
            "description": s.describe(staff_lang),
            "within": s.within.describe(staff_lang),
        })))
        .collect::<Vec<_>>());
    v["policy"]["handling"] = json!(ctx.policy.handling(&c.language));
    v["policy"]["appeal"] = json!(ctx.policy.appeal(&c.language));
    if let Some(claims) = &ctx.policy.schadeclaim {
        v["policy"]["schadeclaim"]["who"] = json!(claims.who(&c.language));
    }
    v["case"] = json!({
        "id": c.id.to_string(),
        "received": ctx.calendar.local_date(c.received).to_string(),
        "subject": c.subject,
        "summary": c.summary,
        "name": c.name.clone().unwrap_or_default(),
        "complainant": c.complainant,
        "state": c.state.as_str(),
        "status": c.state.label(&ctx.org().language),
        "phone": c.phone.clone().unwrap_or_default(),
        "postal_address": c.postal_address.clone().unwrap_or_default(),
        "via": c.via.clone().unwrap_or_default(),
        "handler": c.handler.clone().unwrap_or_default(),
        "language": c.language,
        "category": c.category.clone().unwrap_or_default(),
        "urgent": c.urgent,
        "justified": c.justified,
        "outcome": c.outcome.clone().unwrap_or_default(),
        "offers": c.offers,
    });
    v["term"] = json!({
        "acknowledge": ctx.policy.terms.acknowledge.to_string(),
        "decide": ctx.policy.decide_term(c).to_string(),
        "decide_by": decide_by.to_string(),
        "met_by": ctx.policy.terms.met_by.as_str(),
        "passed": ctx.policy.overdue(c, ctx.calendar, ctx.now()),
    });
    v
}

/// The variables of the message a letter is about (`message.*`).
pub fn message(
    ctx: &Context<'_>,
    entry: &Entry,
    m: &Inbound,
    sender: &Correspondent,
    verdict: &Verdict,
) -> serde_json::Value {
    let new_text = text::new_text(&m.text);
    let own = text::own_text(&m.text);
    json!({
        "from": sender.address,
        "name": sender.name.clone().unwrap_or_default(),
        "subject": crate::address::header_safe(&m.subject, 250),
        "summary": text::summary(&new_text, 300),
        "text": if own.is_empty() { new_text.clone() } else { own },
        "received": ctx.calendar.local_date(entry.received_at).to_string(),
        "label": verdict.label,
        "category": verdict.category.clone().unwrap_or_default(),
        "urgent": verdict.urgent,
        "attachments": m.attachments.iter().filter(|a| a.kept).map(|a| a.name.clone()).collect::<Vec<_>>(),
        "refused": m.attachments.iter().filter(|a| !a.kept).map(|a| json!({
            "name": a.name,
            "size_mb": format!("{:.1}", a.size as f64 / 1_048_576.0),
        })).collect::<Vec<_>>(),
        "event_date": text::event::date(&new_text).unwrap_or_default(),
        "event_place": text::event::place(&new_text).unwrap_or_default(),
        "max_attachment_mb": format!("{:.0}", ctx.config.limits.max_attachment_bytes as f64 / 1_048_576.0),
    })
}
