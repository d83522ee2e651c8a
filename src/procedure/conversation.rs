//! The conversation on a case as people read it: each message from the
//! complainant (or a participant) and each letter to them, oldest first,
//! with its text; the complaint itself; and the complainant's earlier
//! cases. For the handler's notices and `cases show`.

use crate::cases::case::Case;
use crate::cases::event::EventKind;
use crate::cases::id::CaseId;
use crate::cases::lookup;
use crate::intake::inbound::Inbound;
use crate::intake::journal;
use crate::letters::outbox;
use crate::procedure::context::Context;
use crate::store::{Store, StoreError, Tree};
use serde::Serialize;
use serde_json::json;

/// One message in or letter out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Turn {
    /// When, local, to the minute.
    pub wanneer: String,
    /// `in` (to us) or `uit` (from us).
    pub richting: &'static str,
    /// Who wrote it (an address, or the complaints address for our letters).
    pub van: String,
    /// Its subject.
    pub onderwerp: String,
    /// Its text, without quotes.
    pub tekst: String,
}

/// Roles of received mail that are part of the conversation.
const CONVERSATION: &[&str] = &["complaint", "complaint_form", "reply"];

/// The conversation on case `id`, oldest first, as the organisation reads it.
pub fn turns(store: &Store, ctx: &Context<'_>, id: CaseId) -> Result<Vec<Turn>, StoreError> {
    of_case(store, ctx.calendar, ctx.org(), id)
}

/// The conversation on case `id`, oldest first, in the organisation's
/// language and time zone (for `cases show`, which has no decision context).
pub fn of_case(
    store: &Store,
    calendar: &crate::deadline::Calendar,
    org: &crate::config::Organisation,
    id: CaseId,
) -> Result<Vec<Turn>, StoreError> {
    let Some(c) = lookup::load(store, id)? else {
        return Ok(Vec::new());
    };
    let lang = &org.language;
    let mut out = Vec::new();
    for e in lookup::events(store, id)? {
        match &e.kind {
            EventKind::MessageIn {
                journal_id,
                from,
                subject,
                role,
                ..
            } if CONVERSATION.contains(&role.as_str()) => {
                let text = journal::raw(store, journal_id)?
                    .and_then(|raw| Inbound::parse(&raw))
                    .map(|m| crate::text::own_text(&m.text))
                    .unwrap_or_default();
                out.push(Turn {
                    wanneer: calendar.long_moment(e.at, lang),
                    richting: "in",
                    van: from.clone(),
                    onderwerp: subject.clone(),
                    tekst: text,
                });
            }
            EventKind::LetterQueued { outbox_id, to, .. } if c.is_complainant(to) => {
                let Some(item) = outbox::item(store, outbox_id)? else {
                    continue;
                };
                let text = store
                    .get_raw(Tree::OutboxRaw, outbox_id.as_bytes())?
                    .and_then(|raw| Inbound::parse(&raw))
                    .map(|m| m.text.trim_end().to_string())
                    .unwrap_or_default();
                out.push(Turn {
                    wanneer: calendar.long_moment(e.at, lang),
                    richting: "uit",
                    van: org.complaints_address.clone(),
                    onderwerp: item.subject,
                    tekst: text,
                });
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The `message.*` variables of the case's first message (the complaint),
/// for a notice made later than the message itself.
pub fn first_complaint(
    store: &Store,
    ctx: &Context<'_>,
    c: &Case,
) -> Result<serde_json::Value, StoreError> {
    let first = lookup::events(store, c.id)?
        .into_iter()
        .find_map(|e| match e.kind {
            EventKind::MessageIn { journal_id, .. } => Some(journal_id),
            _ => None,
        });
    let m = match first {
        Some(id) => journal::raw(store, &id)?.and_then(|raw| Inbound::parse(&raw)),
        None => None,
    };
    let text = m
        .as_ref()
        .map(|m| crate::text::own_text(&m.text))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| c.summary.clone());
    Ok(json!({
        "from": c.complainant,
        "name": c.name.clone().unwrap_or_default(),
        "subject": c.subject,
        "summary": c.summary,
        "text": text,
        "received": ctx.calendar.local_date(c.received).to_string(),
        "attachments": m.map(|m| m.attachments.iter().filter(|a| a.kept).map(|a| a.name.clone()).collect::<Vec<_>>()).unwrap_or_default(),
    }))
}

/// The complainant's other cases, newest first: number, received, state
/// and subject.
pub fn earlier_cases(
    store: &Store,
    ctx: &Context<'_>,
    c: &Case,
) -> Result<Vec<serde_json::Value>, StoreError> {
    if !c.has_email() {
        return Ok(Vec::new());
    }
    let lang = &ctx.org().language;
    Ok(lookup::of_complainant(store, &c.complainant)?
        .into_iter()
        .filter(|o| o.id != c.id && !o.anonymised)
        .map(|o| {
            json!({
                "id": o.id.to_string(),
                "received": ctx.calendar.local_date(o.received).to_string(),
                "status": o.state.label(lang),
                "subject": o.subject,
            })
        })
        .collect())
}
