//! Staff asking by mail: `#agenda` (the agenda as of now), `#zaak KL-…`
//! (a case with its whole conversation) and `#mijn` (the sender's open
//! cases), in a new mail or a reply. The answer goes only to the staff
//! address the request came from, so a forged sender learns nothing (the
//! real owner gets the mail), as an automatic reply under the same hourly
//! limits as every other. Who sees what: the coordinator, the deputy and
//! management every case and the full agenda; other staff their own cases
//! and the agenda without personal data; a person involved in a complaint
//! never that case.

use crate::cases::case::Case;
use crate::cases::id::CaseId;
use crate::cases::lookup;
use crate::procedure::command::Command;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::handling::StaffMail;
use crate::procedure::{conversation, periodic, post, vars};
use crate::reports;
use crate::store::{Batch, Store};
use serde_json::json;

/// Mails the answer to every request in one letter.
pub fn answer(
    store: &Store,
    ctx: &Context<'_>,
    mail: &StaffMail<'_>,
    requests: &[&Command],
    batch: &mut Batch,
) -> Result<(), ProcessError> {
    let en = ctx.org().language == "en";
    let privileged = privileged(ctx, mail.from);
    let mut delen = Vec::new();
    let mut titles = Vec::new();
    for r in requests {
        match r {
            Command::Agenda => {
                let known = ctx.config.staff.names();
                let scope = periodic::scope(ctx, &known);
                let now = ctx.now();
                let a = reports::agenda(
                    store,
                    &scope,
                    now - chrono::Duration::days(7),
                    now,
                    !privileged,
                )?;
                titles.push("agenda".to_string());
                delen.push(json!({"soort": "agenda", "tekst": a.markdown()}));
            }
            Command::Zaak(id) => {
                titles.push(id.to_string());
                delen.push(case_part(store, ctx, mail.from, *id, privileged)?);
            }
            Command::Mijn => {
                titles.push(if en {
                    "your cases".into()
                } else {
                    "uw zaken".into()
                });
                delen.push(own_cases(store, ctx, mail.from)?);
            }
            _ => {}
        }
    }
    let mut v = vars::base(ctx);
    v["overzicht"] = json!({
        "titel": titles.join(", "),
        "delen": delen,
    });
    let req = mail.answer(ctx, "overzicht", v);
    post::queue(ctx, batch, &req)?;
    Ok(())
}

/// The coordinator, the deputy and management see everything.
fn privileged(ctx: &Context<'_>, from: &str) -> bool {
    let s = &ctx.config.staff;
    let is = |a: &str| !a.is_empty() && a.eq_ignore_ascii_case(from);
    is(&s.coordinator)
        || is(&s.deputy)
        || ctx.coordinator().is_some_and(is)
        || s.management.iter().any(|m| is(m))
}

/// Whether `from` may see case `c`: privileged staff, or its handler;
/// never a person the complaint is about.
fn may_see(c: &Case, from: &str, privileged: bool) -> bool {
    let involved = c.involved.iter().any(|i| i.eq_ignore_ascii_case(from));
    let handler = c
        .handler
        .as_deref()
        .is_some_and(|h| h.eq_ignore_ascii_case(from));
    !involved && (privileged || handler)
}

/// One case with its state, terms and conversation, or why not.
fn case_part(
    store: &Store,
    ctx: &Context<'_>,
    from: &str,
    id: CaseId,
    privileged: bool,
) -> Result<serde_json::Value, ProcessError> {
    let en = ctx.org().language == "en";
    let Some(c) = lookup::load(store, id)? else {
        return Ok(json!({"soort": "geweigerd", "tekst": if en {
            format!("There is no case {id}.")
        } else {
            format!("Zaak {id} bestaat niet.")
        }}));
    };
    if !may_see(&c, from, privileged) {
        return Ok(json!({"soort": "geweigerd", "tekst": if en {
            format!("You do not handle {id}; the complaints coordinator can send it to you.")
        } else {
            format!("U behandelt {id} niet; de klachtencoördinator kan haar aan u sturen.")
        }}));
    }
    let case_vars = vars::case(ctx, &c);
    let gesprek = conversation::of_case(store, ctx.calendar, ctx.org(), id)?;
    Ok(json!({
        "soort": "zaak",
        "zaak": case_vars["case"],
        "termijn": case_vars["term"]["decide_by"],
        "te_laat": ctx.policy.overdue(&c, ctx.calendar, ctx.now()),
        "gesprek": gesprek,
    }))
}

/// The sender's open cases, oldest first.
fn own_cases(
    store: &Store,
    ctx: &Context<'_>,
    from: &str,
) -> Result<serde_json::Value, ProcessError> {
    let lang = &ctx.org().language;
    let mut mine: Vec<Case> = Vec::new();
    lookup::each(store, |c| {
        let theirs = c
            .handler
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(from));
        if theirs && !c.state.is_closed() {
            mine.push(c);
        }
        Ok(())
    })?;
    mine.sort_by_key(|c| c.received);
    let zaken: Vec<_> = mine
        .iter()
        .map(|c| {
            json!({
                "id": c.id.to_string(),
                "subject": c.subject,
                "status": c.state.label(lang),
                "received": ctx.calendar.local_date(c.received).to_string(),
                "termijn": ctx.calendar.local_date(ctx.policy.decision_due(c, ctx.calendar)).to_string(),
                "te_laat": ctx.policy.overdue(c, ctx.calendar, ctx.now()),
            })
        })
        .collect();
    Ok(json!({"soort": "mijn", "zaken": zaken}))
}
