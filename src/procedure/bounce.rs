//! Letters that did not arrive: a bounce (DSN) of one of our letters is
//! matched to its case by the signed Message-ID it quotes, and a letter the
//! mail server refused for good is reported by the outbox. Either way the
//! contact is marked undeliverable on the case and the coordinator gets an
//! "onbestelbaar" alert, so a person can reach the complainant another way.

use crate::cases::case::Case;
use crate::cases::change::Change;
use crate::cases::event::{EventKind, KLACHTD};
use crate::cases::lookup;
use crate::intake::inbound::Inbound;
use crate::intake::journal::Entry;
use crate::letters::outbox::{self, Item};
use crate::letters::request::LetterRequest;
use crate::procedure::context::{Context, ProcessError};
use crate::procedure::{post, record, vars};
use crate::store::{Batch, Store, StoreError};
use serde_json::json;

/// The letter of ours a bounce reports on, with its case: the first of our
/// signed Message-IDs quoted anywhere in it (DSNs quote the original
/// headers).
pub fn bounced_letter(
    store: &Store,
    ctx: &Context<'_>,
    raw: &[u8],
) -> Result<Option<(Item, Case)>, StoreError> {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(512 * 1024)]);
    let mut rest = text.as_ref();
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('>') else { break };
        let candidate = &after[..close];
        rest = &after[close + 1..];
        if candidate.len() > 200 || candidate.contains(char::is_whitespace) {
            continue;
        }
        if ctx.signer.verify_message_id(candidate).is_none() {
            continue;
        }
        if let Some(item) = outbox::item_by_message_id(store, candidate)? {
            if let Some(c) = item
                .case
                .map(|id| lookup::load(store, id))
                .transpose()?
                .flatten()
            {
                return Ok(Some((item, c)));
            }
        }
    }
    Ok(None)
}

/// Records a bounce on its case, marks the contact undeliverable and tells
/// the coordinator.
pub fn bounce(
    ctx: &Context<'_>,
    batch: &mut Batch,
    (entry, m): (&Entry, &Inbound),
    item: &Item,
    c: &Case,
) -> Result<(), ProcessError> {
    let now = ctx.now();
    let mut change = Change::on(c);
    record::message(&mut change, entry, m, "bounce", now);
    change.record(
        now,
        KLACHTD,
        EventKind::LetterBounced {
            outbox_id: item.id.clone(),
            to: item.to.clone(),
        },
    );
    if let Some(alert) = alert_undeliverable(ctx, batch, item, c)? {
        change.record(now, KLACHTD, alert);
    }
    change.write(batch);
    Ok(())
}

/// Queues the coordinator's "onbestelbaar" alert about a letter to a
/// complainant that cannot be delivered; returns its case event.
fn alert_undeliverable(
    ctx: &Context<'_>,
    batch: &mut Batch,
    item: &Item,
    c: &Case,
) -> Result<Option<EventKind>, ProcessError> {
    let Some(coordinator) = ctx.coordinator() else {
        return Ok(None);
    };
    if ctx.config.is_staff(&item.to) {
        return Ok(None);
    }
    let mut vars = vars::case(ctx, c);
    vars["bounce"] = json!({
        "to": item.to,
        "letter": item.letter,
        "subject": item.subject,
    });
    let req = LetterRequest::to_staff(ctx.org(), coordinator, "onbestelbaar", vars)
        .on_case(c.id, c.version + 1)
        .reply_to(ctx.reply_address(c.id));
    let alert = post::queue(ctx, batch, &req)?;
    Ok(Some(post::queued(&alert)))
}

/// A letter the mail server refused for good (the outbox gave up): the
/// coordinator is told, on the case.
pub fn undeliverable(store: &Store, ctx: &Context<'_>, outbox_id: &str) -> Result<(), StoreError> {
    store.transact(|store| {
        let mut batch = Batch::new();
        let Some(item) = outbox::item(store, outbox_id)? else {
            return Ok((batch, ()));
        };
        let Some(c) = item.case.map(|id| lookup::load(store, id)).transpose()?.flatten() else {
            return Ok((batch, ()));
        };
        match alert_undeliverable(ctx, &mut batch, &item, &c) {
            Ok(Some(event)) => {
                let mut change = Change::on(&c);
                change.record(ctx.now(), KLACHTD, event);
                change.write(&mut batch);
            }
            Ok(None) => {}
            Err(ProcessError::Store(e)) => return Err(e),
            Err(ProcessError::Unprocessable(why)) => {
                tracing::error!(outbox = %outbox_id, %why, "cannot tell the coordinator about an undeliverable letter");
                batch = Batch::new();
            }
        }
        Ok((batch, ()))
    })
}
