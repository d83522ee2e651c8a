//! Who handles a case: never someone the complaint names as involved. A
//! new case goes to the acting coordinator (the deputy while the
//! coordinator is away), else to the first of deputy and management who is
//! not involved. `#toewijzen` hands a case over: the new handler gets the
//! full assignment notice (the complaint, the conversation so far, the
//! terms, the signed reply address) and the previous handler is told.

use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::EventKind;
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::{conversation, post, vars};
use crate::store::{Batch, Store};
use serde_json::json;

/// Whether `who` is named in the complaint as an involved employee: their
/// address, or a directory name that points at them, appears in it, or
/// they were registered with `#betrokken`.
pub fn involved(c: &Case, who: &str, ctx: &Context<'_>) -> bool {
    if c.involved.iter().any(|i| i.eq_ignore_ascii_case(who)) {
        return true;
    }
    let text = format!("{}\n{}", c.subject, c.summary);
    if text.to_lowercase().contains(&who.to_lowercase()) {
        return true;
    }
    let hay = crate::text::normalize(&text);
    ctx.config.staff.directory.iter().any(|(name, addr)| {
        addr.eq_ignore_ascii_case(who) && {
            let n = crate::text::normalize(name);
            n.trim().len() >= 3 && hay.contains(&n)
        }
    })
}

/// The handler of a new case: the acting coordinator unless involved,
/// then the deputy, then management, whoever is first not involved.
pub fn first_handler(ctx: &Context<'_>, c: &Case) -> Option<String> {
    let staff = &ctx.config.staff;
    let candidates = ctx
        .coordinator()
        .map(str::to_string)
        .into_iter()
        .chain(Some(staff.deputy.clone()).filter(|d| !d.is_empty()))
        .chain(staff.management.iter().cloned());
    let mut first = None;
    for who in candidates {
        if !involved(c, &who, ctx) {
            return Some(who);
        }
        first.get_or_insert(who);
    }
    // Everyone is named: the coordinator still has to act on it.
    first
}

/// The assignment notice to the case's handler: the complaint, the
/// conversation so far and the terms, with the case's signed reply
/// address. `previous` names who handled it before, on a hand-over.
pub fn notice(
    store: &Store,
    ctx: &Context<'_>,
    c: &Case,
    previous: Option<&str>,
    mut vars: serde_json::Value,
) -> Result<Option<LetterRequest>, ProcessError> {
    let Some(handler) = &c.handler else {
        return Ok(None);
    };
    vars["overdracht"] = json!({ "van": previous.unwrap_or_default() });
    if vars.get("vervolg_op").is_none() {
        vars["vervolg_op"] = json!("");
    }
    vars["gesprek"] = json!(conversation::turns(store, ctx, c.id)?);
    vars["eerdere"] = json!(conversation::earlier_cases(store, ctx, c)?);
    Ok(Some(
        LetterRequest::to_staff(ctx.org(), handler, "toewijzing", vars)
            .on_case(c.id, c.version)
            .reply_to(ctx.reply_address(c.id)),
    ))
}

/// Queues the hand-over letters after `#toewijzen`: the full notice to
/// the new handler and a word to the previous one.
pub fn hand_over(
    store: &Store,
    ctx: &Context<'_>,
    batch: &mut Batch,
    change: &mut Change,
    actor: &str,
) -> Result<(), ProcessError> {
    let before = change.before().and_then(|c| c.handler.clone());
    let after = change.case().handler.clone();
    if before == after || after.is_none() {
        return Ok(());
    }
    let now = ctx.now();
    let c = change.case().clone();
    let mut vars = vars::case(ctx, &c);
    vars["message"] = conversation::first_complaint(store, ctx, &c)?;
    if let Some(req) = notice(store, ctx, &c, before.as_deref(), vars.clone())? {
        let item = post::queue(ctx, batch, &req)?;
        change.record(now, actor, post::queued(&item));
    }
    if let Some(prev) = before.filter(|p| !p.eq_ignore_ascii_case(actor)) {
        vars["overdracht"] = json!({ "naar": after.unwrap_or_default(), "door": actor });
        let req = LetterRequest::to_staff(ctx.org(), &prev, "overdracht", vars)
            .on_case(c.id, change.case().version)
            .reply_to(ctx.reply_address(c.id));
        let item = post::queue(ctx, batch, &req)?;
        change.record(now, actor, post::queued(&item));
    }
    Ok(())
}

/// Who handles an appeal: the policy's appeal role (`management`: the
/// first of management; `coordinator`; or a role of `[staff.roles]`),
/// else the acting coordinator.
pub fn appeal_handler(ctx: &Context<'_>) -> Option<String> {
    let staff = &ctx.config.staff;
    let by_role = match ctx.policy.beroep.role.as_str() {
        "management" => staff.management.first().cloned(),
        "coordinator" | "coördinator" => None,
        role => staff.roles.get(role).cloned(),
    };
    by_role
        .filter(|a| !a.is_empty())
        .or_else(|| ctx.coordinator().map(str::to_string))
}

/// The event that assigns `handler`.
pub fn assigned(handler: &str) -> EventKind {
    EventKind::HandlerAssigned {
        handler: handler.to_string(),
    }
}
